/**
 * The `attestation` policy kind (CM-2, SB-1, SB-2): which PCRs a device's TPM
 * quotes, how often, how fresh a verdict must be for attestation-gated actions
 * (updates, secrets, channel admission), and what a failed verdict triggers.
 */
export interface AttestationPolicy {
  readonly pcrSelection: {
    /** SHA-256 bank PCR indices, 0–23, unique, ascending (the parser sorts). */
    readonly sha256: readonly number[];
  };
  /** Periodic quote interval, seconds; at least 60. */
  readonly intervalSeconds: number;
  /** A verdict older than this does not gate an action: the panel asks for a fresh quote. */
  readonly maxAgeSeconds: number;
  /** `alert` raises an event; `quarantine` also isolates the device; `revoke` also revokes its certificate. */
  readonly onFailure: AttestationFailureResponse;
  /** Fail the verdict unless the event log shows UEFI Secure Boot enabled. */
  readonly requireSecureBoot: boolean;
  /** Send the IMA measurement log with each quote (for runtime file measurements). */
  readonly includeImaLog: boolean;
}

export const ATTESTATION_FAILURE_RESPONSES = ['alert', 'quarantine', 'revoke'] as const;
export type AttestationFailureResponse = (typeof ATTESTATION_FAILURE_RESPONSES)[number];

export const ATTESTATION_LIMITS = {
  pcr: { min: 0, max: 23 },
  intervalSeconds: { min: 60, max: 7 * 86_400 },
  maxAgeSeconds: { min: 60, max: 30 * 86_400 },
} as const;
