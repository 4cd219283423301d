import { PalisadeError } from '@palisade/core';

export type AttestationErrorCode =
  /** An EK or AK public area that does not decode, or an AK that is not a restricted fixedTPM signing key. */
  | 'TPM_PUBLIC_INVALID'
  /** The EK certificate is missing where the group requires one, does not chain to a trusted TPM CA, or is not the EK's. */
  | 'EK_CERTIFICATE_UNTRUSTED'
  /** No pending attestation-key binding with that ID for this device. */
  | 'AK_BINDING_NOT_FOUND'
  /** The credential-activation answer was wrong or late: the AK is not bound. */
  | 'CREDENTIAL_ACTIVATION_FAILED'
  /** The TPM CA certificate is not an X.509 CA certificate. */
  | 'TPM_CA_INVALID'
  /** That TPM CA certificate is already trusted. */
  | 'TPM_CA_EXISTS'
  /** Reference values or a profile that break a rule (every problem named). */
  | 'ATTESTATION_SETTINGS_INVALID'
  /** "Record golden values" needs a verdict whose event log replayed, and the device has none. */
  | 'GOLDEN_EVIDENCE_MISSING';

/** Refusals of the attestation API (the verdicts themselves are answers, not errors). */
export class AttestationError extends PalisadeError<AttestationErrorCode> {}
