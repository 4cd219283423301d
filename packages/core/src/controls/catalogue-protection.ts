import {
  type ControlDefinition,
  DEVICE_CONTACT_SECONDS,
  SCAN_SECONDS,
  UPDATE_CHECK_SECONDS,
} from './control-definition.ts';

const DEVICE_CONTACT = { kind: 'device-contact', seconds: DEVICE_CONTACT_SECONDS } as const;

/** Cryptographic services, configuration management and secure communications (REQUIREMENTS.md: CR, CM, SC). */
export const PROTECTION_CONTROLS: readonly ControlDefinition[] = [
  {
    id: 'CR-1',
    family: 'CR',
    title: 'Data protected in motion, at rest and in use',
    requirement:
      'Cryptography protects data in motion (transport), at rest (storage) and in use (applications).',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 4.1', 'SR 4.1 RE 1', 'SR 3.1', 'SR 4.3'],
    nist80053: ['SC-8(1)', 'SC-28', 'SC-28(1)'],
    evidence:
      'mTLS on every channel; disk/volume encryption status (LUKS/dm-crypt) reported; agent secrets encrypted at rest',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'CR-2',
    family: 'CR',
    title: 'Strong, validated algorithms',
    requirement:
      'Standards-based algorithms of appropriate strength (asymmetric, symmetric, hashes, RNG); validated (NIST/FIPS) implementations.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 4.3'],
    nist80053: ['SC-12', 'SC-13'],
    evidence:
      "algorithm and key-size inventory of the device's keys and certificates; FIPS mode of the crypto provider reported",
    freshness: { kind: 'periodic', seconds: SCAN_SECONDS },
  },
  {
    id: 'CR-3',
    family: 'CR',
    title: 'Crypto agility, post-quantum ready',
    requirement: 'Crypto agility with in-field upgrade, ready for post-quantum cryptography.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 4.3'],
    nist80053: ['SC-12', 'SC-13', 'CM-6'],
    evidence:
      'signatures and key wraps carry algorithm identifiers; hybrid classical + post-quantum (ML-DSA, ML-KEM) supported; algorithms switchable by policy without reinstall',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'CR-4',
    family: 'CR',
    title: 'Crypto policy enforced',
    requirement:
      'Dynamically deployed, policy-based control of which algorithms and suites applications may use.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 4.3', 'SR 7.6'],
    nist80053: ['SC-13', 'CM-6', 'CM-7'],
    evidence: 'crypto policy assigned, applied, acknowledged; violations reported',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'CR-5',
    family: 'CR',
    title: 'Standard key and certificate formats',
    requirement: 'Key types and certificates interoperate across multi-vendor systems.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 1.8', 'SR 4.3'],
    nist80053: ['SC-17', 'SC-13'],
    evidence:
      'standard formats only (X.509, PKCS#10, PKCS#7/CMS, PKCS#8, PKCS#11, TUF/Uptane JSON) checked against independent tools',
    freshness: { kind: 'panel-record' },
  },
  {
    id: 'CM-1',
    family: 'CM',
    title: 'Verifiable signed updates',
    requirement:
      'Remote or automated updates of firmware, OS, configuration and applications are verifiable without relying on block/allow lists, at the scale of millions of endpoints: signer certificates give supply-chain provenance, recipient certificates restrict delivery to authorized endpoints, content has confidentiality and integrity end to end.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 3.4', 'SR 3.2', 'SR 7.6'],
    nist80053: ['SI-2', 'CM-14', 'SI-7(15)', 'SC-8'],
    evidence:
      'signed (threshold, role-separated) update metadata; per-device encrypted delivery; device verifies before install and reports',
    freshness: { kind: 'periodic', seconds: UPDATE_CHECK_SECONDS },
  },
  {
    id: 'CM-2',
    family: 'CM',
    title: 'Periodic remote attestation',
    requirement:
      'Remote attestation (e.g. TPM, TNC) verifies firmware and software integrity consistently from endpoint to cloud.',
    levels: ['SLE', 'SLC'],
    iec62443: ['SR 3.4 RE 1', 'SR 3.3 RE 1'],
    nist80053: ['IA-3(4)', 'SI-6', 'SI-7(5)'],
    evidence: 'periodic attestation results; policy action on failure',
    freshness: { kind: 'attestation-max-age' },
  },
  {
    id: 'SC-1',
    family: 'SC',
    title: 'Mutually authenticated channel',
    requirement:
      'End-to-end secure protocol stack: extensible authentication with endpoint-level authentication / non-repudiation; protected endpoint-to-cloud and endpoint-to-endpoint links (group keys under PKI); PKI-based transport; quantum-resistant suites where available.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 3.1', 'SR 3.1 RE 1', 'SR 1.2 RE 1', 'SR 2.12'],
    nist80053: ['SC-8(1)', 'SC-23', 'IA-3(1)', 'AU-10'],
    evidence:
      'mutual TLS with device certificates; signed device reports; TLS versions/suites per crypto policy',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SC-2',
    family: 'SC',
    title: 'Host firewall with allow-lists',
    requirement: 'A local endpoint firewall with ingress and egress allow-listing.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 5.1', 'SR 5.2', 'SR 5.2 RE 1'],
    nist80053: ['SC-7', 'SC-7(5)', 'SC-7(12)'],
    evidence: 'firewall policy rendered to nftables, applied, and its live ruleset hash reported',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SC-3',
    family: 'SC',
    title: 'Keys in a hardware key store',
    requirement: 'Keys live in a hardware key store where available.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 1.5 RE 1', 'SR 1.9 RE 1'],
    nist80053: ['SC-12', 'IA-5(2)'],
    evidence: 'RoT kind of the TLS key',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SC-4',
    family: 'SC',
    title: 'Standard transport protocols',
    requirement:
      'Interoperability across vendors based on RFCs; the transport protocols relevant to the system (TLS, DTLS, SSH, IPsec...).',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 3.1', 'SR 4.3'],
    nist80053: ['SC-8', 'SC-23'],
    evidence: 'standard protocols only, checked with independent clients',
    freshness: DEVICE_CONTACT,
  },
];
