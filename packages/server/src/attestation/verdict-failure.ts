import { type EventLogErrorCode, PalisadeError, type QuoteErrorCode } from '@palisade/core';
import { VERDICT_REASONS } from './verdict-reasons.ts';

/** The part of the attestation chain a failing verdict blames (SECURITY-TESTS: tagged by component). */
export type VerdictComponent = 'binding' | 'quote' | 'pcr' | 'measured_boot' | 'reference';

/** Failures of the panel's own checks, next to the core verifiers' QuoteError and EventLogError codes. */
export type AttestationCheckCode =
  /** AK binding: no EK certificate, or one that does not chain to a trusted TPM manufacturer CA or is not the EK's. */
  | 'EK_CERTIFICATE_UNTRUSTED'
  /** AK binding: the device answered the credential with the wrong secret, or too late. */
  | 'CREDENTIAL_ACTIVATION_FAILED'
  /** AK binding: a new AK was proven in a TPM whose EK is not the one bound before (TPM swapped or cleared). */
  | 'EK_CHANGED'
  /** The evidence names a nonce this panel never issued (or forgot long ago). */
  | 'NONCE_UNKNOWN'
  /** The nonce was already answered once: a replayed evidence body. */
  | 'NONCE_REUSED'
  /** The nonce outlived its lifetime before the evidence arrived. */
  | 'NONCE_EXPIRED'
  /** The nonce was issued to another device. */
  | 'NONCE_WRONG_DEVICE'
  /** The device has no active attestation key: nothing can vouch for the quote. */
  | 'AK_NOT_BOUND'
  /** The replayed event log does not reproduce the quoted PCR values. */
  | 'EVENT_LOG_REPLAY_MISMATCH'
  /** Reference values need the event log (event digests, Secure Boot) and none was sent. */
  | 'EVENT_LOG_REQUIRED'
  /** A quoted PCR value is not among the group's allowed values. */
  | 'REFERENCE_PCR_MISMATCH'
  /** An event's digest is not among the allowed digests for its type. */
  | 'REFERENCE_EVENT_MISMATCH'
  /** A reference names a PCR the profile does not quote: it cannot be verified. */
  | 'REFERENCE_PCR_NOT_QUOTED'
  /** Secure Boot is required and the log measures SecureBoot = disabled. */
  | 'SECURE_BOOT_DISABLED'
  /** Secure Boot is required and the log has no SecureBoot variable measurement on a quoted PCR. */
  | 'SECURE_BOOT_NOT_MEASURED'
  /** The SecureBoot variable event's data does not hash to its digest: its content cannot be believed. */
  | 'SECURE_BOOT_EVENT_INVALID';

export type VerdictCode = AttestationCheckCode | QuoteErrorCode | EventLogErrorCode;

export interface FailureLocation {
  readonly pcr?: number;
  readonly eventIndex?: number;
  /** `EV_…` name of the event at fault. */
  readonly eventType?: string;
  readonly details?: Record<string, unknown>;
}

/**
 * A check of the attestation chain failed. Verification throws this (or a
 * core QuoteError / EventLogError, which the service maps); the service turns
 * it into a failing verdict with its component, severity and the exact PCR or
 * event, never into a log line alone.
 */
export class VerdictFailure extends PalisadeError<VerdictCode> {
  readonly component: VerdictComponent;
  readonly pcr: number | undefined;
  readonly eventIndex: number | undefined;
  readonly eventType: string | undefined;

  constructor(code: VerdictCode, message: string, where: FailureLocation = {}) {
    super(code, message, where.details === undefined ? undefined : { details: where.details });
    this.component = VERDICT_REASONS[code].component;
    this.pcr = where.pcr;
    this.eventIndex = where.eventIndex;
    this.eventType = where.eventType;
  }
}
