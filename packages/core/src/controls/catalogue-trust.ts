import { type ControlDefinition, DEVICE_CONTACT_SECONDS } from './control-definition.ts';

const DEVICE_CONTACT = { kind: 'device-contact', seconds: DEVICE_CONTACT_SECONDS } as const;

/** Root of trust, endpoint identity and secure boot (REQUIREMENTS.md: RT, ID, SB). */
export const TRUST_CONTROLS: readonly ControlDefinition[] = [
  {
    id: 'RT-1',
    family: 'RT',
    title: 'Identity anchored in a root of trust',
    requirement: 'The endpoint identity is anchored in a root of trust (RoT).',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 1.2', 'SR 1.2 RE 1', 'SR 1.5'],
    nist80053: ['IA-3', 'IA-5(2)', 'SC-12'],
    evidence: 'agent RoT kind: software / pkcs11 / tpm; identity key generated inside it and never exported',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'RT-2',
    family: 'RT',
    title: 'Root of trust attests the device',
    requirement:
      'The RoT attests software and hardware identity and integrity: the device can produce cryptographically protected statements of its hardware and software versions.',
    levels: ['SLE', 'SLC'],
    iec62443: ['SR 3.4', 'SR 3.4 RE 1', 'SR 3.3'],
    nist80053: ['IA-3(4)', 'SI-7(6)', 'SI-7(9)'],
    evidence: 'TPM2 quote over PCRs + event log, verified by the panel; AK bound to EK',
    freshness: { kind: 'attestation-max-age' },
  },
  {
    id: 'RT-3',
    family: 'RT',
    title: 'Hardware root of trust',
    requirement:
      'The RoT is implemented in hardware (discrete security chip or tamper-resistant hardware block).',
    levels: ['SLE', 'SLC'],
    iec62443: ['SR 1.9 RE 1', 'SR 1.5 RE 1'],
    nist80053: ['IA-5(2)', 'SC-12'],
    evidence: 'RoT kind is `tpm` or `pkcs11` backed by hardware; software RoT fails RT-3',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'ID-1',
    family: 'ID',
    title: 'PKI-based identity',
    requirement: 'PKI-based identity is mandatory.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 1.8', 'SR 1.9'],
    nist80053: ['IA-3', 'IA-5(2)', 'SC-17'],
    evidence:
      "device holds an operational certificate (LDevID) issued by the panel's CA, unexpired, unrevoked",
    freshness: { kind: 'panel-record' },
  },
  {
    id: 'ID-2',
    family: 'ID',
    title: 'Certificates managed over EST',
    requirement:
      'An open standard certificate management protocol (EST, RFC 7030) automates issuance, renewal, update and revocation, against an internal or external CA.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 1.8', 'SR 1.5'],
    nist80053: ['SC-17', 'IA-5', 'IA-5(2)'],
    evidence:
      'enrollment and re-enrollment went through EST; renewal before expiry; revocation visible in CRL and OCSP',
    freshness: { kind: 'panel-record' },
  },
  {
    id: 'ID-3',
    family: 'ID',
    title: 'IDevID provenance',
    requirement:
      "Certificate chaining from the endpoint's endorsement / manufacturer certificate (IDevID) gives supply-chain provenance and a transfer of ownership to the management system.",
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 1.2', 'SR 1.8'],
    nist80053: ['IA-3', 'SR-4', 'SR-11'],
    evidence:
      'enrollment authenticated by an IDevID chaining to a trusted manufacturer CA; provenance chain stored with the device',
    freshness: { kind: 'panel-record' },
  },
  {
    id: 'SB-1',
    family: 'SB',
    title: 'Verified boot',
    requirement:
      'Firmware (immutable or protected bootstrap code) and multi-stage bootloaders (UEFI, U-Boot) are verified with cryptographic key hashes before they run.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 3.4', 'SR 3.3'],
    nist80053: ['SI-7(9)', 'SI-7(10)', 'SI-7(15)'],
    evidence:
      'platform secure-boot state reported (UEFI SecureBoot / U-Boot verified boot); signed boot manifest verified',
    freshness: DEVICE_CONTACT,
  },
  {
    id: 'SB-2',
    family: 'SB',
    title: 'Measured boot',
    requirement: 'Attestation extends from bootstrap to OS start-up (measured boot).',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 3.4 RE 1', 'SR 3.3 RE 2'],
    nist80053: ['SI-7(6)', 'SI-7(9)', 'IA-3(4)'],
    evidence: 'boot event log replayed against PCRs and matched to reference values',
    freshness: { kind: 'attestation-max-age' },
  },
  {
    id: 'SB-3',
    family: 'SB',
    title: 'Boot updates only when signed',
    requirement:
      'Unauthorized firmware, bootloader or boot-image updates, over the air or over the network, are prevented.',
    levels: ['SLB', 'SLE', 'SLC'],
    iec62443: ['SR 3.4', 'SR 3.2'],
    nist80053: ['CM-14', 'SI-7(10)', 'SI-7(15)'],
    evidence: 'boot artifacts only change through signed updates; any other change is an alert',
    freshness: DEVICE_CONTACT,
  },
];
