import type { VerdictCode, VerdictComponent } from './verdict-failure.ts';

export interface VerdictReason {
  readonly component: VerdictComponent;
  /** 0–10, as security events (the `attestation.failed` event carries it). */
  readonly severity: number;
  /**
   * Whether a later attestation can pass without anyone touching the device's
   * TPM: true for transient faults and for drift an operator can accept as new
   * reference values; false where the evidence itself was forged, replayed or
   * comes from a different TPM.
   */
  readonly recoverable: boolean;
}

const reason = (component: VerdictComponent, severity: number, recoverable: boolean): VerdictReason => ({
  component,
  severity,
  recoverable,
});

/**
 * Every failure code a verdict can carry, with the component it blames, its
 * severity and whether it is recoverable (docs/attestation.md renders this).
 * A missing code does not compile.
 */
export const VERDICT_REASONS: Readonly<Record<VerdictCode, VerdictReason>> = {
  EK_CERTIFICATE_UNTRUSTED: reason('binding', 8, true),
  CREDENTIAL_ACTIVATION_FAILED: reason('binding', 8, true),
  // Keylime CVE-2022-1053: an AK not provably in the EK's TPM is refused; a different TPM is news.
  EK_CHANGED: reason('binding', 9, false),
  CREDENTIAL_EK_UNSUPPORTED: reason('binding', 6, false),
  CREDENTIAL_INPUT_INVALID: reason('binding', 6, false),

  NONCE_UNKNOWN: reason('quote', 7, true),
  NONCE_REUSED: reason('quote', 8, false),
  NONCE_EXPIRED: reason('quote', 5, true),
  NONCE_WRONG_DEVICE: reason('quote', 8, false),
  AK_NOT_BOUND: reason('quote', 7, true),
  QUOTE_MALFORMED: reason('quote', 8, false),
  QUOTE_UNSUPPORTED_ALGORITHM: reason('quote', 6, false),
  AK_NOT_RESTRICTED_SIGNING: reason('quote', 9, false),
  // Keylime CVE-2023-3674: an invalid signature is a failing verdict that changes the device's state.
  QUOTE_SIGNATURE_INVALID: reason('quote', 9, false),
  QUOTE_NOT_A_QUOTE: reason('quote', 9, false),
  QUOTE_NONCE_MISMATCH: reason('quote', 8, false),
  QUOTE_COUNTER_REGRESSION: reason('quote', 9, false),

  QUOTE_PCR_SELECTION_MISMATCH: reason('pcr', 6, true),
  QUOTE_PCR_VALUES_INVALID: reason('pcr', 8, false),
  QUOTE_PCR_DIGEST_MISMATCH: reason('pcr', 9, false),

  EVENT_LOG_MALFORMED: reason('measured_boot', 7, false),
  EVENT_LOG_TRUNCATED: reason('measured_boot', 7, false),
  EVENT_LOG_TOO_LARGE: reason('measured_boot', 7, false),
  EVENT_LOG_REPLAY_MISMATCH: reason('measured_boot', 8, false),
  EVENT_LOG_REQUIRED: reason('measured_boot', 6, true),

  REFERENCE_PCR_MISMATCH: reason('reference', 8, true),
  REFERENCE_EVENT_MISMATCH: reason('reference', 8, true),
  REFERENCE_PCR_NOT_QUOTED: reason('reference', 5, true),
  SECURE_BOOT_DISABLED: reason('reference', 8, true),
  SECURE_BOOT_NOT_MEASURED: reason('reference', 7, true),
  SECURE_BOOT_EVENT_INVALID: reason('reference', 8, false),
};
