import { type ControlDefinition, DEVICE_CONTACT_SECONDS, SCAN_SECONDS } from './control-definition.ts';

const DEVICE_CONTACT = { kind: 'device-contact', seconds: DEVICE_CONTACT_SECONDS } as const;

/** Continuous monitoring, policy dashboard and SIEM (REQUIREMENTS.md: MO, PD, SI); all required at SLC only. */
export const MONITORING_CONTROLS: readonly ControlDefinition[] = [
  {
    id: 'MO-1',
    family: 'MO',
    title: 'File-integrity monitoring',
    requirement:
      'Real-time, continuous configuration control detects and prevents unauthorized changes to firmware, OS or installed applications.',
    levels: ['SLC'],
    iec62443: ['SR 3.4', 'SR 3.4 RE 1', 'SR 6.2'],
    nist80053: ['SI-7', 'SI-7(1)', 'SI-7(7)'],
    evidence:
      'file-integrity monitoring of protected paths with a signed baseline; changes not explained by a signed update raise an alert and trigger the configured response',
    freshness: { kind: 'periodic', seconds: SCAN_SECONDS },
  },
  {
    id: 'MO-2',
    family: 'MO',
    title: 'Crypto-usage scans',
    requirement:
      'Application-level controls detect and prevent unauthorized activities, such as use of insecure ciphers or hash algorithms.',
    levels: ['SLC'],
    iec62443: ['SR 3.2', 'SR 4.3', 'SR 6.2'],
    nist80053: ['SI-4', 'CM-6', 'SC-13'],
    evidence:
      'crypto-usage scans (local TLS listeners, certificates and keys on disk, crypto configuration) against the crypto policy',
    freshness: { kind: 'periodic', seconds: SCAN_SECONDS },
  },
  {
    id: 'PD-1',
    family: 'PD',
    title: 'Remote policy management',
    requirement: 'Remote policy management to define security controls.',
    levels: ['SLC'],
    iec62443: ['SR 7.6'],
    nist80053: ['CM-2', 'CM-6'],
    evidence: 'policies authored and versioned in the panel',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'PD-2',
    family: 'PD',
    title: 'Policy orchestration and drift detection',
    requirement: 'Policy orchestration across many endpoints.',
    levels: ['SLC'],
    iec62443: ['SR 7.6 RE 1', 'SR 3.3'],
    nist80053: ['CM-3', 'CM-6(1)', 'CM-6(2)'],
    evidence: 'staged distribution with acknowledgements and drift detection',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'PD-3',
    family: 'PD',
    title: 'Event timeline with context',
    requirement: 'Event data with context, completeness, relevance and timeliness for incident response.',
    levels: ['SLC'],
    iec62443: ['SR 2.8', 'SR 2.8 RE 1', 'SR 2.11', 'SR 6.1'],
    nist80053: ['AU-3', 'AU-6(3)', 'IR-4'],
    evidence: 'device event timeline with correlated context in the dashboard',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SI-1',
    family: 'SI',
    title: 'Risk-monitoring profile assigned',
    requirement: 'Provision policy-based risk-monitoring profiles.',
    levels: ['SLC'],
    iec62443: ['SR 6.2', 'SR 2.8'],
    nist80053: ['SI-4', 'CA-7', 'AU-2'],
    evidence: 'monitoring profiles assigned per group',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SI-2',
    family: 'SI',
    title: 'Detection rules over open interfaces',
    requirement:
      'Distribute rules or behavioral analysis through open interfaces, data models or extensible formats (REST, JSON).',
    levels: ['SLC'],
    iec62443: ['SR 6.1 RE 1', 'SR 6.2'],
    nist80053: ['SI-4(2)', 'AU-6(1)'],
    evidence: 'detection rules as JSON documents over the REST API, evaluated in the panel and on devices',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SI-3',
    family: 'SI',
    title: 'Alerts with event context',
    requirement: 'Trigger rules and feed behavioral analysis with contextual event data.',
    levels: ['SLC'],
    iec62443: ['SR 6.2', 'SR 2.8'],
    nist80053: ['SI-4(5)', 'AU-6(3)', 'IR-5'],
    evidence: 'alerts carry the triggering events and device context',
    freshness: { kind: 'panel-record' },
  },
  {
    id: 'SI-4',
    family: 'SI',
    title: 'Events exported to a SIEM',
    requirement:
      'Log generated events to SIEM services and data historians in extensible formats (e.g. CEF, SNMP).',
    levels: ['SLC'],
    iec62443: ['SR 2.8 RE 1', 'SR 6.1', 'SR 2.10'],
    nist80053: ['AU-4(1)', 'AU-5', 'AU-6(4)'],
    evidence:
      'exporters: CEF over syslog (UDP, TCP, TLS), SNMP traps, JSON webhooks; durable, nothing lost while a SIEM is down',
    freshness: { kind: 'panel-record' },
  },
];
