/**
 * The agent's endpoint firewall (SC-2) on nftables: checks a rendered policy,
 * swaps Palisade's table `inet palisade` in one transaction, and keeps a
 * dead-man switch until the agent proves it can still reach its panel.
 *
 * How the agent is expected to drive it (not wired into the runtime yet):
 *
 * 1. At start, before anything else: `await firewall.recover()`. If the
 *    previous run applied a ruleset and stopped before confirming it, that
 *    ruleset may be what killed it; the table it replaced comes back.
 * 2. On a new firewall policy: `const application = await firewall.apply(policy,
 *    panelEndpoints, { confirmWithinMs: 60_000 })`, then reach the panel over
 *    the new rules (a heartbeat round trip), then `await firewall.confirm()`.
 *    If the panel cannot be reached, do nothing: at the deadline the previous
 *    table is restored and `application.settled` resolves `rolled_back`, which
 *    the agent reports once it is back in touch. `rollback_failed` leaves the
 *    record pending; call `recover()` to try again.
 * 3. On each heartbeat: `await firewall.detectDrift()`; report `actual` as the
 *    live ruleset hash (SC-2 evidence) and raise an event when `drifted`
 *    (someone ran `nft flush ruleset`, deleted or edited the table).
 * 4. On shutdown: `firewall.close()` (a pending application rolls back at the
 *    next start).
 */
import { join } from 'node:path';
import type { FirewallPolicy, PanelEndpoint } from '@palisade/core';
import { FirewallError } from './firewall-error.ts';
import {
  FIREWALL_RECORD_FILE,
  type FirewallRecord,
  type PreviousTable,
  readFirewallRecord,
  writeFirewallRecord,
} from './firewall-record.ts';
import { createNftRunner, type NftResult, type NftRunner, nftComplaint } from './nft-runner.ts';
import {
  checkScript,
  commandFailed,
  DELETE_TABLE_SCRIPT,
  liveTableHash,
  refused,
  restoreScript,
  snapshotTable,
} from './palisade-table.ts';
import { renderFirewall } from './render-nftables.ts';
import { ABSENT_TABLE_HASH } from './ruleset-hash.ts';

export interface NftablesFirewallOptions {
  /** The agent's state directory; the firewall keeps `firewall.json` there. */
  readonly stateDir: string;
  /** How nft is run; default `nft` from PATH with a 15 s timeout per call. */
  readonly runner?: NftRunner;
  /** The renderer; replaced only by tests that need a script nft refuses. */
  readonly render?: (policy: FirewallPolicy, panel: readonly PanelEndpoint[]) => string;
}

export interface ApplyOptions {
  /** How long the agent has to call `confirm` before the previous table comes back. */
  readonly confirmWithinMs: number;
}

/** How an application ended. `settled` never rejects: a failed rollback is an outcome to report. */
export type FirewallSettlement =
  | { readonly outcome: 'confirmed'; readonly activeHash: string }
  | { readonly outcome: 'rolled_back'; readonly restored: 'previous' | 'absent'; readonly activeHash: string }
  | { readonly outcome: 'rollback_failed'; readonly error: FirewallError }
  /** `remove()` was called while the application awaited confirmation. */
  | { readonly outcome: 'removed' }
  /** `close()` was called first; the next start's `recover()` rolls back. */
  | { readonly outcome: 'interrupted' };

export interface FirewallApplication {
  /** The live ruleset hash right after the swap; what `detectDrift` expects from now on. */
  readonly appliedHash: string;
  readonly deadline: Date;
  readonly settled: Promise<FirewallSettlement>;
}

export type FirewallRecovery =
  | { readonly outcome: 'nothing_pending' }
  | {
      readonly outcome: 'rolled_back';
      readonly restored: 'previous' | 'absent';
      readonly activeHash: string;
    };

export interface FirewallDrift {
  readonly drifted: boolean;
  /** The hash Palisade last put in place (ABSENT_TABLE_HASH when it has no table). */
  readonly expected: string;
  readonly actual: string;
}

interface PendingApplication {
  readonly deadline: number;
  readonly previous: PreviousTable;
  readonly appliedHash: string;
  readonly timer: NodeJS.Timeout;
  readonly settle: (settlement: FirewallSettlement) => void;
}

/** Long enough for a slow cellular link to reach the panel; short enough that a lockout is not an outage. */
export const MAX_CONFIRM_WINDOW_MS = 60 * 60 * 1000;

export class NftablesFirewall {
  readonly #runner: NftRunner;
  readonly #render: (policy: FirewallPolicy, panel: readonly PanelEndpoint[]) => string;
  readonly #recordPath: string;
  #record: FirewallRecord | undefined;
  #recordLoaded = false;
  #pending: PendingApplication | undefined;
  #closed = false;
  // Every state change runs alone: the deadline timer must not interleave with an apply or a confirm.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: NftablesFirewallOptions) {
    this.#runner = options.runner ?? createNftRunner();
    this.#render = options.render ?? renderFirewall;
    this.#recordPath = join(options.stateDir, FIREWALL_RECORD_FILE);
  }

  /** `nft -c`: throws FIREWALL_RULESET_REFUSED with nft's complaint when the script would not load. */
  check(script: string): Promise<void> {
    return checkScript(this.#runner, script);
  }

  /**
   * Renders, checks and swaps in `policy`, then arms the dead-man switch.
   * On FIREWALL_RULESET_REFUSED nothing changed: nft's transaction left the
   * previous table in force.
   */
  apply(
    policy: FirewallPolicy,
    panel: readonly PanelEndpoint[],
    options: ApplyOptions,
  ): Promise<FirewallApplication> {
    return this.#serially(() => this.#apply(policy, panel, options));
  }

  /** The agent reached its panel over the new rules: keep them. */
  confirm(): Promise<void> {
    return this.#serially(async () => {
      const pending = this.#pending;
      if (pending === undefined) {
        throw new FirewallError('FIREWALL_NOT_PENDING', 'no firewall application awaits confirmation');
      }
      if (Date.now() > pending.deadline) {
        throw new FirewallError('FIREWALL_NOT_PENDING', 'the confirmation deadline has passed; rolling back');
      }
      // Written before the timer stops: if the write fails, the switch still fires.
      await this.#writeRecord({ phase: 'settled', activeHash: pending.appliedHash });
      this.#finish(pending, { outcome: 'confirmed', activeHash: pending.appliedHash });
    });
  }

  /** At start: restores the table an unconfirmed application replaced before a restart. */
  recover(): Promise<FirewallRecovery> {
    return this.#serially(async () => {
      if (this.#pending !== undefined) {
        throw new FirewallError(
          'FIREWALL_CONFIRMATION_PENDING',
          'this process has an application awaiting confirmation',
        );
      }
      const record = await this.#loadRecord();
      if (record?.phase !== 'pending') return { outcome: 'nothing_pending' };
      const settlement = await this.#rollBack(record.previous);
      if (settlement.outcome !== 'rolled_back') throw settlement.error;
      return settlement;
    });
  }

  /** SHA-256 of the normalized live table (ABSENT_TABLE_HASH when it does not exist). */
  liveStateHash(): Promise<string> {
    return liveTableHash(this.#runner);
  }

  /** Compares the live table with what Palisade last put in place. */
  detectDrift(): Promise<FirewallDrift> {
    return this.#serially(async () => {
      const expected = await this.#expectedHash();
      const actual = await this.liveStateHash();
      return { drifted: actual !== expected, expected, actual };
    });
  }

  /** Deletes Palisade's table (and cancels a pending application); other tables are untouched. */
  remove(): Promise<void> {
    return this.#serially(async () => {
      const result = await this.#runner(['-f', '-'], DELETE_TABLE_SCRIPT);
      if (result.exitCode !== 0) throw commandFailed('nft delete table', result);
      await this.#writeRecord({ phase: 'settled', activeHash: ABSENT_TABLE_HASH });
      if (this.#pending !== undefined) this.#finish(this.#pending, { outcome: 'removed' });
    });
  }

  /** Stops the dead-man timer without acting; the record on disk makes the next `recover()` roll back. */
  close(): void {
    this.#closed = true;
    if (this.#pending !== undefined) this.#finish(this.#pending, { outcome: 'interrupted' });
  }

  async #apply(
    policy: FirewallPolicy,
    panel: readonly PanelEndpoint[],
    { confirmWithinMs }: ApplyOptions,
  ): Promise<FirewallApplication> {
    if (
      !Number.isInteger(confirmWithinMs) ||
      confirmWithinMs <= 0 ||
      confirmWithinMs > MAX_CONFIRM_WINDOW_MS
    ) {
      throw new FirewallError(
        'FIREWALL_OPTIONS_INVALID',
        `confirmWithinMs must be an integer from 1 to ${MAX_CONFIRM_WINDOW_MS}`,
        { details: { confirmWithinMs } },
      );
    }
    const before = await this.#loadRecord();
    if (this.#pending !== undefined || before?.phase === 'pending') {
      throw new FirewallError(
        'FIREWALL_CONFIRMATION_PENDING',
        this.#pending === undefined
          ? 'an unconfirmed application from an earlier run is recorded; call recover() first'
          : 'an earlier application still awaits confirmation',
      );
    }
    const script = this.#render(policy, panel);
    await this.check(script);
    const previous = await snapshotTable(this.#runner);
    const deadline = Date.now() + confirmWithinMs;
    // Recorded before the swap: a crash between the two must still roll back at the next start.
    await this.#writeRecord({ phase: 'pending', deadline: new Date(deadline).toISOString(), previous });

    let result: NftResult;
    try {
      result = await this.#runner(['-f', '-'], script);
    } catch (error) {
      // nft did not finish (timeout, killed): its transaction may or may not have committed, so
      // restore now; if even that fails, the pending record stays for recover().
      await this.#rollBack(previous);
      throw error;
    }
    if (result.exitCode !== 0) {
      // nft aborted the whole transaction: the previous table is still in force.
      await this.#writeRecord(before ?? { phase: 'settled', activeHash: ABSENT_TABLE_HASH });
      throw refused('nft -f refused the ruleset', result);
    }

    let appliedHash: string;
    try {
      appliedHash = await this.liveStateHash();
    } catch (error) {
      // Applied but unobservable: do not leave a ruleset the switch cannot watch.
      await this.#rollBack(previous);
      throw error;
    }
    // Closed while nft ran: arm nothing (the pending record makes the next start roll back).
    if (this.#closed)
      return {
        appliedHash,
        deadline: new Date(deadline),
        settled: Promise.resolve({ outcome: 'interrupted' }),
      };
    const settled = new Promise<FirewallSettlement>((settle) => {
      const timer = setTimeout(() => this.#deadlinePassed(), confirmWithinMs);
      this.#pending = { deadline, previous, appliedHash, timer, settle };
    });
    return { appliedHash, deadline: new Date(deadline), settled };
  }

  #deadlinePassed(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    // #serially never rejects here: #rollBack turns every failure into an outcome.
    void this.#serially(async () => {
      if (this.#pending !== pending) return; // confirmed, removed or closed in the meantime
      this.#finish(pending, await this.#rollBack(pending.previous));
    });
  }

  #finish(pending: PendingApplication, settlement: FirewallSettlement): void {
    clearTimeout(pending.timer);
    if (this.#pending === pending) this.#pending = undefined;
    pending.settle(settlement);
  }

  /** Puts `previous` back in one transaction and records it as the expected state. */
  async #rollBack(
    previous: PreviousTable,
  ): Promise<Extract<FirewallSettlement, { outcome: 'rolled_back' | 'rollback_failed' }>> {
    try {
      const result = await this.#runner(['-f', '-'], restoreScript(previous));
      if (result.exitCode !== 0) {
        throw new FirewallError('FIREWALL_ROLLBACK_FAILED', 'nft refused to restore the previous table', {
          details: { stderr: nftComplaint(result.stderr) },
        });
      }
      const activeHash = await this.liveStateHash();
      await this.#writeRecord({ phase: 'settled', activeHash });
      return {
        outcome: 'rolled_back',
        restored: previous.kind === 'absent' ? 'absent' : 'previous',
        activeHash,
      };
    } catch (error) {
      const failure =
        error instanceof FirewallError && error.code === 'FIREWALL_ROLLBACK_FAILED'
          ? error
          : new FirewallError('FIREWALL_ROLLBACK_FAILED', 'could not restore the previous table', {
              cause: error,
              details: { reason: error instanceof FirewallError ? error.code : 'unknown' },
            });
      return { outcome: 'rollback_failed', error: failure };
    }
  }

  async #expectedHash(): Promise<string> {
    if (this.#pending !== undefined) return this.#pending.appliedHash;
    const record = await this.#loadRecord();
    if (record === undefined) return ABSENT_TABLE_HASH;
    if (record.phase === 'pending') {
      throw new FirewallError(
        'FIREWALL_CONFIRMATION_PENDING',
        'an unconfirmed application from an earlier run is recorded; call recover() first',
      );
    }
    return record.activeHash;
  }

  async #loadRecord(): Promise<FirewallRecord | undefined> {
    if (!this.#recordLoaded) {
      this.#record = await readFirewallRecord(this.#recordPath);
      this.#recordLoaded = true;
    }
    return this.#record;
  }

  async #writeRecord(record: FirewallRecord): Promise<void> {
    await writeFirewallRecord(this.#recordPath, record);
    this.#record = record;
    this.#recordLoaded = true;
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
