/**
 * Drift (PD-2, SC-2): on each heartbeat, the live state of every applied
 * firewall, config and crypto policy is compared with the hash recorded when
 * it was applied. A difference is acknowledged `drifted` and raised as an
 * event once per drifted state, then repaired by applying the stored,
 * verified document again (the firewall with its dead-man switch again) and
 * acknowledged `repaired`. A repair that fails or rolls back is not tried
 * again for the same drifted state.
 */
import type { PolicyDocuments, PolicyKind } from '@palisade/core';
import type { Logger } from 'pino';
import type { JsonValue } from '../outbox/index.ts';
import type { PolicyPanel } from './panel-link.ts';
import type { ApplyOutcome, LiveDrift, PolicyApplier } from './policy-applier.ts';
import { describeFailure, type KindResult, liveHash, reference } from './policy-outcomes.ts';
import type { AppliedPolicy, PolicyStateStore } from './policy-state-store.ts';
import type { PolicyStatusQueue } from './policy-status-queue.ts';

const DRIFT_KINDS: readonly PolicyKind[] = ['firewall', 'config', 'crypto'];

export interface DriftRepairOptions {
  readonly store: PolicyStateStore;
  readonly status: PolicyStatusQueue;
  readonly applier: <K extends PolicyKind>(kind: K) => PolicyApplier<K>;
  /** The verified document of each applied kind. */
  readonly documents: ReadonlyMap<PolicyKind, PolicyDocuments[PolicyKind]>;
  readonly report: (kind: string, severity: number, body: JsonValue) => Promise<unknown>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Reports a failure (once per policy and reason). */
  readonly failed: (kind: PolicyKind, policy: AppliedPolicy, error: unknown) => Promise<KindResult>;
}

export class DriftRepair {
  readonly #o: DriftRepairOptions;
  /** The drifted live hash last reported per kind, and the ones a repair could not fix. */
  readonly #reported = new Map<PolicyKind, string>();
  readonly #unrepairable = new Map<PolicyKind, string>();

  constructor(options: DriftRepairOptions) {
    this.#o = options;
  }

  /** A kind was applied or removed afresh: its drift history no longer applies. */
  forget(kind: PolicyKind): void {
    this.#reported.delete(kind);
    this.#unrepairable.delete(kind);
  }

  async check(panel: PolicyPanel | undefined): Promise<Partial<Record<PolicyKind, KindResult>>> {
    const { store } = this.#o;
    const results: Partial<Record<PolicyKind, KindResult>> = {};
    for (const kind of DRIFT_KINDS) {
      const applied = store.applied(kind);
      const document = this.#o.documents.get(kind);
      const applier = this.#o.applier(kind);
      if (applied === undefined || document === undefined || applier.drift === undefined) continue;
      let drift: LiveDrift | undefined;
      try {
        drift = await applier.drift(document as never, applied.liveStateHash);
      } catch (error) {
        this.#o.logger.warn({ err: error, kind }, 'could not read the live state');
        continue;
      }
      if (drift === undefined) {
        this.forget(kind);
        continue;
      }
      if (this.#reported.get(kind) !== drift.actual) {
        this.#reported.set(kind, drift.actual);
        await this.#announce(kind, applied, drift);
      }
      results[kind] =
        this.#unrepairable.get(kind) === drift.actual
          ? 'drifted'
          : await this.#repair(kind, document, applied, drift.actual, panel);
    }
    return results;
  }

  async #announce(kind: PolicyKind, applied: AppliedPolicy, drift: LiveDrift): Promise<void> {
    this.#o.logger.warn({ kind, expected: drift.expected, actual: drift.actual }, drift.message);
    await this.#o.status.enqueue(kind, {
      ...reference(applied),
      state: 'drifted',
      liveStateHash: drift.actual,
      message: drift.message,
    });
    const body = { ...drift.event.body, policyId: applied.policyId, version: applied.version };
    await this.#o
      .report(drift.event.type, drift.event.severity, body)
      .catch((error: unknown) => this.#o.logger.error({ err: error }, 'could not record the drift event'));
  }

  async #repair(
    kind: PolicyKind,
    document: PolicyDocuments[PolicyKind],
    applied: AppliedPolicy,
    drifted: string,
    panel: PolicyPanel | undefined,
  ): Promise<KindResult> {
    // The firewall is only repaired with a panel to confirm the new table against.
    if (kind === 'firewall' && panel === undefined) return 'drifted';
    const { store, status } = this.#o;
    const applier = this.#o.applier(kind);
    try {
      await store.beginAttempt(kind, applied);
      const outcome: ApplyOutcome = applier.repair
        ? await applier.repair(document as never, panel as PolicyPanel)
        : await applier.apply(document as never, panel as PolicyPanel);
      await store.endAttempt();
      if (outcome.outcome === 'rolled_back') {
        this.#unrepairable.set(kind, drifted);
        await status.enqueue(kind, {
          ...reference(applied),
          state: 'rolled_back',
          ...liveHash(outcome),
          message: describeFailure(outcome.reason),
        });
        return 'rolled_back';
      }
      await store.updateLiveHash(kind, outcome.liveStateHash);
      this.#reported.delete(kind);
      await status.enqueue(kind, { ...reference(applied), state: 'repaired', ...liveHash(outcome) });
      return 'repaired';
    } catch (error) {
      // Stopping mid-way is not a verdict: the attempt stays recorded for the next start.
      if (this.#o.signal.aborted) return 'failed';
      await store.endAttempt().catch(() => undefined);
      this.#unrepairable.set(kind, drifted);
      return this.#o.failed(kind, applied, error);
    }
  }
}
