import type { ControlId } from './control-ids.ts';
import type { EventSource } from './security-event.ts';

export type EventFieldType = 'string' | 'number' | 'boolean';

/** A documented typed field: when present, its value must have this type (absent is allowed). */
export interface EventFieldSpec {
  readonly type: EventFieldType;
  readonly description: string;
}

export interface EventTypeInfo {
  /** Short, generic name; CEF's header Name (the specific text goes in `msg`). */
  readonly title: string;
  /** Who emits it; documentation only, the parser does not enforce it. */
  readonly source: EventSource;
  /** Used when the producer gives no severity. */
  readonly defaultSeverity: number;
  /** Used when the producer gives no controls. */
  readonly controls: readonly ControlId[];
  readonly fields: Readonly<Record<string, EventFieldSpec>>;
}

const str = (description: string): EventFieldSpec => ({ type: 'string', description });
const num = (description: string): EventFieldSpec => ({ type: 'number', description });
const bool = (description: string): EventFieldSpec => ({ type: 'boolean', description });

const serial = str('certificate serial number, hex');
const notAfter = str('certificate expiry, RFC 3339');
const path = str('absolute path of the file');
const remoteAddress = str('IP address of the client');
const reason = str('why, as a stable lower-case code');

/**
 * Every event type Palisade itself emits, with its documented fields
 * (docs/events-and-siem.md renders this table). Not a closed list: the parser
 * accepts any well-formed type, because agents ship faster than panels
 * upgrade and dropping a security event the panel does not know yet would
 * hide exactly the news it needs; `eventTypeInfo` tells the two apart.
 */
export const EVENT_CATALOGUE: Readonly<Record<string, EventTypeInfo>> = {
  // Agent lifecycle and delivery (agent.ts).
  'agent.started': {
    title: 'Agent started',
    source: 'device',
    defaultSeverity: 2,
    controls: ['PD-3'],
    fields: { version: str('agent version'), rootOfTrust: str('software, pkcs11 or tpm') },
  },
  'outbox.dropped': {
    title: 'Agent outbox full, events dropped',
    source: 'device',
    defaultSeverity: 9,
    controls: ['PD-3', 'SI-4'],
    fields: { count: num('records dropped'), bytes: num('bytes freed') },
  },
  // Device identity (agent identity-manager.ts; RFC 7030 EST).
  'identity.enrolled': {
    title: 'Device certificate enrolled',
    source: 'device',
    defaultSeverity: 3,
    controls: ['ID-1', 'ID-2'],
    fields: { serial, notAfter, via: str('token or certificate (IDevID)') },
  },
  'identity.renewed': {
    title: 'Device certificate renewed',
    source: 'device',
    defaultSeverity: 3,
    controls: ['ID-2'],
    fields: { serial, notAfter, previousSerial: str('serial of the replaced certificate') },
  },
  'identity.renewal-failed': {
    title: 'Device certificate renewal failed',
    source: 'device',
    defaultSeverity: 5,
    controls: ['ID-2'],
    fields: { serial, notAfter, code: str('error code of the failed EST call') },
  },
  'identity.expiring': {
    title: 'Device certificate about to expire',
    source: 'device',
    defaultSeverity: 7,
    controls: ['ID-1', 'ID-2'],
    fields: { serial, notAfter },
  },
  'identity.revoked': {
    title: 'Device certificate refused by the panel',
    source: 'device',
    defaultSeverity: 10,
    controls: ['ID-1', 'ID-2'],
    fields: { serial },
  },
  // Host activity (agent collectors; the fleet simulator emits the same).
  'net.connection': {
    title: 'Network connection',
    source: 'device',
    defaultSeverity: 1,
    controls: ['SC-2'],
    fields: { peer: str('remote IP address'), port: num('remote port') },
  },
  'process.started': {
    title: 'Process started',
    source: 'device',
    defaultSeverity: 2,
    controls: ['PD-3'],
    fields: { name: str('process name') },
  },
  'auth.login-failed': {
    title: 'Local login failed',
    source: 'device',
    defaultSeverity: 5,
    controls: ['PD-3', 'SI-3'],
    fields: { user: str('user name tried'), source: str('remote address or tty') },
  },
  'file.changed': {
    title: 'Watched file changed',
    source: 'device',
    defaultSeverity: 6,
    controls: ['MO-1'],
    fields: { path },
  },
  'tamper.detected': {
    title: 'Physical tamper detected',
    source: 'device',
    defaultSeverity: 9,
    controls: ['RT-3', 'PD-3'],
    fields: { sensor: str('which sensor'), state: str('what it reads') },
  },
  // File-integrity monitoring against the signed baseline (MO-1).
  'fim.modified': {
    title: 'Protected file modified',
    source: 'device',
    defaultSeverity: 7,
    controls: ['MO-1', 'SB-3'],
    fields: {
      path,
      expectedSha256: str('digest in the signed baseline'),
      actualSha256: str('digest found'),
      explainedByUpdate: bool('a signed update accounts for the change'),
    },
  },
  'fim.added': {
    title: 'File added under a protected path',
    source: 'device',
    defaultSeverity: 6,
    controls: ['MO-1'],
    fields: { path, actualSha256: str('digest found') },
  },
  'fim.removed': {
    title: 'Protected file removed',
    source: 'device',
    defaultSeverity: 7,
    controls: ['MO-1'],
    fields: { path },
  },
  // Boot integrity and remote attestation.
  'attestation.failed': {
    title: 'Remote attestation failed',
    source: 'panel',
    defaultSeverity: 8,
    controls: ['RT-2', 'SB-2', 'CM-2'],
    fields: {
      reason,
      component: str('binding, quote, pcr, measured_boot or reference'),
      pcr: num('first PCR that did not match'),
      eventIndex: num('event-log index of the event that did not match'),
      eventType: str('EV_… type of that event'),
      quoteNonce: str('nonce of the quote, hex'),
      verdictId: str('attestation verdict ID'),
      recoverable: bool('whether a later attestation can pass without touching the TPM'),
      action: str("the profile's action: alert, quarantine or revoke"),
    },
  },
  'attestation.verdict': {
    title: 'Attestation verdict received',
    source: 'device',
    defaultSeverity: 2,
    controls: ['RT-2', 'CM-2'],
    fields: {
      result: str('pass or fail'),
      reason,
      component: str('the failing component, if any'),
      pcr: num('first PCR that did not match'),
      verdictId: str('attestation verdict ID'),
      notRun: str('checks the panel could not run, comma-separated'),
      eventLogSent: bool('whether the device sent a boot event log'),
    },
  },
  'boot.secure-boot-disabled': {
    title: 'Secure boot disabled',
    source: 'device',
    defaultSeverity: 8,
    controls: ['SB-1'],
    fields: { platform: str('uefi or u-boot') },
  },
  // Updates (TUF / Uptane).
  'update.installed': {
    title: 'Update installed',
    source: 'device',
    defaultSeverity: 3,
    controls: ['CM-1'],
    fields: { target: str('target name'), version: str('installed version') },
  },
  'update.rolled_back': {
    title: 'Update rolled back',
    source: 'device',
    defaultSeverity: 7,
    controls: ['CM-1', 'SB-3'],
    fields: {
      target: str('target name'),
      fromVersion: str('failed version'),
      toVersion: str('restored version'),
      reason,
    },
  },
  'update.verification_failed': {
    title: 'Update metadata or target failed verification',
    source: 'device',
    defaultSeverity: 8,
    controls: ['CM-1'],
    fields: { target: str('target name'), reason },
  },
  // Crypto and firewall policy.
  'crypto.policy_violation': {
    title: 'Crypto policy violation',
    source: 'device',
    defaultSeverity: 6,
    controls: ['CR-4', 'MO-2'],
    fields: { algorithm: str('algorithm or suite found'), location: str('listener, file or config') },
  },
  'firewall.drift': {
    title: 'Firewall ruleset differs from policy',
    source: 'device',
    defaultSeverity: 6,
    controls: ['SC-2', 'PD-2'],
    fields: { expectedHash: str('hash of the rendered policy'), actualHash: str('hash of the live ruleset') },
  },
  'config.drift': {
    title: 'Managed configuration differs from policy',
    source: 'device',
    defaultSeverity: 6,
    controls: ['CR-4', 'PD-2'],
    fields: {
      paths: str('changed files, as a JSON list'),
      expectedHash: str('hash of the applied policy state'),
      actualHash: str('hash of the live state'),
    },
  },
  'rule.matched': {
    title: 'Device-side detection rule matched',
    source: 'device',
    defaultSeverity: 6,
    controls: ['SI-2', 'SI-3'],
    fields: {
      ruleId: str('detection rule ID'),
      title: str('rule title'),
      detect: str('match or threshold'),
      eventCount: num('events that made it fire'),
    },
  },
  // Panel: enrollment, devices, operators, export.
  'est.enroll_rejected': {
    title: 'EST enrollment rejected',
    source: 'panel',
    defaultSeverity: 6,
    controls: ['ID-2', 'ID-3'],
    fields: { reason, remoteAddress, idevidSerial: str('serial of the presented IDevID') },
  },
  'device.revoked': {
    title: 'Device certificate revoked',
    source: 'panel',
    defaultSeverity: 7,
    controls: ['ID-1', 'ID-2'],
    fields: { serial, reason, operator: str('operator user name') },
  },
  'device.decommissioned': {
    title: 'Device decommissioned',
    source: 'panel',
    defaultSeverity: 4,
    controls: ['ID-2'],
    fields: { operator: str('operator user name') },
  },
  'operator.login_failed': {
    title: 'Operator login failed',
    source: 'panel',
    defaultSeverity: 5,
    controls: ['PD-1'],
    fields: { username: str('user name tried'), remoteAddress, reason },
  },
  'operator.login_throttled': {
    title: 'Operator logins throttled',
    source: 'panel',
    defaultSeverity: 7,
    controls: ['PD-1'],
    fields: { username: str('user name tried'), remoteAddress },
  },
  'operator.access_denied': {
    title: 'Operator request denied',
    source: 'panel',
    defaultSeverity: 5,
    controls: ['PD-1'],
    fields: { reason, remoteAddress, path: str('API path requested') },
  },
  'device.access_denied': {
    title: 'Device request denied',
    source: 'panel',
    defaultSeverity: 6,
    controls: ['ID-2', 'PD-1'],
    fields: { reason, remoteAddress, path: str('API path requested') },
  },
  'alert.raised': {
    title: 'Detection rule raised an alert',
    source: 'panel',
    defaultSeverity: 7,
    controls: ['SI-2', 'SI-3'],
    fields: {
      alertId: str('alert ID'),
      ruleId: str('detection rule ID'),
      ruleVersion: num('version of the rule that fired'),
      subject: str('what the rule counted over: device:<id>, group:<name> or fleet'),
      eventCount: num('triggering events attached'),
    },
  },
  'device.quarantined': {
    title: 'Device quarantined',
    source: 'panel',
    defaultSeverity: 8,
    controls: ['SI-3'],
    fields: { reason, alertId: str('alert that caused it, if any'), operator: str('operator user name') },
  },
  'policy.apply_failed': {
    title: 'Policy not applied on a device',
    source: 'panel',
    defaultSeverity: 6,
    controls: ['PD-1', 'PD-2'],
    fields: {
      kind: str('policy kind'),
      policyId: str('policy ID'),
      version: num('policy version'),
      state: str('failed or rolled_back'),
    },
  },
  'policy.rollout_paused': {
    title: 'Policy rollout paused on failures',
    source: 'panel',
    defaultSeverity: 6,
    controls: ['PD-2'],
    fields: {
      rolloutId: str('rollout ID'),
      policyId: str('policy ID'),
      version: num('policy version'),
      reason,
    },
  },
  'siem.export_failed': {
    title: 'SIEM export failing',
    source: 'panel',
    defaultSeverity: 6,
    controls: ['SI-4'],
    fields: { exporter: str('exporter name'), backlog: num('events waiting') },
  },
};

/** The catalogue entry of a type, or undefined for a well-formed type the panel does not know. */
export function eventTypeInfo(type: string): EventTypeInfo | undefined {
  return Object.hasOwn(EVENT_CATALOGUE, type) ? EVENT_CATALOGUE[type] : undefined;
}
