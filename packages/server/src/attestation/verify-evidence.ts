import { createHash } from 'node:crypto';
import {
  type CounterProgress,
  checkCounters,
  compareWithQuotedPcrs,
  EventLogError,
  parseEventLog,
  type QuoteCounters,
  QuoteError,
  replayEventLog,
  type VerifiedQuote,
  verifyQuote,
} from '@palisade/core';
import type { AttestationProfile } from './attestation-profile.ts';
import { checkReferenceValues } from './evaluate-references.ts';
import { base64Bytes, decodeEventLog, type EvidenceBody } from './evidence.ts';
import { type Measurements, measurementsOf } from './measurements.ts';
import type { ReferenceValues } from './reference-values.ts';
import { VerdictFailure } from './verdict-failure.ts';

/** Checks a verdict may skip, and says it skipped. */
export type SkippedCheck = 'measured_boot' | 'reference';

/** What the panel knows when evidence arrives, its nonce already checked and consumed. */
export interface EvidenceContext {
  readonly nonce: Uint8Array;
  /** The device's active AK (TPM2B_PUBLIC); undefined when none is bound. */
  readonly akPublic: Uint8Array | undefined;
  readonly profile: AttestationProfile;
  /** Counters of the last verified quote from the same TPM. */
  readonly previousCounters: QuoteCounters | undefined;
  /** The group's reference values for the device's firmware; undefined when none are set. */
  readonly references: ReferenceValues | undefined;
}

/** How far verification got: what to store whatever the verdict, and the failure if any. */
export interface EvidenceOutcome {
  /** Set once the quote verified: its counters become the baseline for the next one. */
  readonly quote?: VerifiedQuote;
  readonly progress?: CounterProgress;
  readonly eventLogSha256?: string;
  /** Set once the event log replayed to the quoted PCRs (or none was sent). */
  readonly measurements?: Measurements;
  readonly notRun: readonly SkippedCheck[];
  readonly failure?: VerdictFailure;
}

/**
 * Verifies evidence in the order each step's trust depends on the last:
 * the quote (AK signature, extraData = nonce, PCR selection and digest), the
 * TPM counters against the previous quote (replay, TPM swap), the event log's
 * replay against the quoted PCRs, then the reference values. The first
 * failure ends it. Malformed device input fails a check; anything else thrown
 * is a panel bug and propagates (never a pass).
 */
export function verifyEvidence(body: EvidenceBody, context: EvidenceContext): EvidenceOutcome {
  const state: { -readonly [K in keyof EvidenceOutcome]: EvidenceOutcome[K] } = { notRun: [] };
  const notRun: SkippedCheck[] = [];
  try {
    if (context.akPublic === undefined)
      throw new VerdictFailure('AK_NOT_BOUND', 'the device has no active attestation key; bind one first');
    const quote = verifyQuote({
      akPublic: context.akPublic,
      message: base64Bytes(body.message),
      signature: base64Bytes(body.signature),
      nonce: context.nonce,
      pcrValues: base64Bytes(body.pcrValues),
      expectedSelection: { sha256: context.profile.pcrSelection },
    });
    if (context.previousCounters !== undefined)
      state.progress = checkCounters(context.previousCounters, quote);
    state.quote = quote;
    const quoted = quote.pcrs.sha256 ?? {};

    let measurements: Measurements = { pcrs: quoted };
    if (body.eventLog === undefined) notRun.push('measured_boot');
    else {
      const bytes = decodeEventLog(body.eventLog);
      state.eventLogSha256 = createHash('sha256').update(bytes).digest('hex');
      const log = parseEventLog(bytes);
      const mismatches = compareWithQuotedPcrs(replayEventLog(log), { bank: 'sha256', pcrs: quoted });
      const first = mismatches[0];
      if (first !== undefined)
        throw new VerdictFailure(
          'EVENT_LOG_REPLAY_MISMATCH',
          `the event log does not replay to the quoted PCRs: PCR ${first.pcr} is ${first.quoted}, the log implies ${first.replayed ?? 'no SHA-256 value'}`,
          { pcr: first.pcr, details: { mismatches: mismatches.slice(0, 24) } },
        );
      measurements = measurementsOf(log, quoted);
    }
    state.measurements = measurements;

    if (context.references === undefined) notRun.push('reference');
    else checkReferenceValues(context.references, measurements);
  } catch (error) {
    state.failure = asVerdictFailure(error);
  }
  state.notRun = notRun;
  return state;
}

/** Device input the core verifiers refused, as a verdict failure; anything else is rethrown. */
export function asVerdictFailure(error: unknown): VerdictFailure {
  if (error instanceof VerdictFailure) return error;
  if (error instanceof QuoteError)
    return new VerdictFailure(
      error.code,
      error.message,
      error.details ? { details: { ...error.details } } : {},
    );
  if (error instanceof EventLogError)
    return new VerdictFailure(error.code, error.message, {
      ...(error.eventIndex === undefined ? {} : { eventIndex: error.eventIndex }),
      ...(error.details ? { details: { ...error.details } } : {}),
    });
  throw error;
}
