import type { Queryable } from '../db/index.ts';
import type { AttestationProfile } from './attestation-profile.ts';
import type { AttestationVerdict, AttestationVerdicts, NewVerdict } from './attestation-verdicts.ts';
import type { FailureActions } from './failure-actions.ts';

/** A verdict committed with its consequences; `settle` runs what must follow the commit. */
export interface RecordedVerdict {
  readonly verdict: AttestationVerdict;
  readonly revoke: boolean;
}

/**
 * Records a verdict and its consequences in one transaction: a failing one
 * with its `attestation.failed` event and the profile's quarantine, a passing
 * one lifting an attestation quarantine. Revocation, which has its own
 * transaction and reissues the CRLs, runs in `settle` after the commit.
 */
export class VerdictRecorder {
  readonly #verdicts: AttestationVerdicts;
  readonly #actions: FailureActions;

  constructor(verdicts: AttestationVerdicts, actions: FailureActions) {
    this.#verdicts = verdicts;
    this.#actions = actions;
  }

  async recordIn(tx: Queryable, input: NewVerdict, profile: AttestationProfile): Promise<RecordedVerdict> {
    const verdict = await this.#verdicts.recordIn(tx, input);
    if (verdict.result === 'pass') {
      await this.#actions.passedIn(tx, verdict);
      return { verdict, revoke: false };
    }
    return { verdict, revoke: await this.#actions.failedIn(tx, verdict, profile) };
  }

  async settle(recorded: RecordedVerdict): Promise<AttestationVerdict> {
    if (recorded.revoke) await this.#actions.revoke(recorded.verdict);
    return recorded.verdict;
  }
}
