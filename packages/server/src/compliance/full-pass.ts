/**
 * The periodic full evaluation: every device, page by page, on one replica
 * at a time. A replica claims the pass under an advisory lock (so two never
 * claim together); the claim is a lease it renews page by page, so that a
 * replica that dies mid-pass lets another take over. Freshness windows run
 * out without any event, which is why this pass exists next to the
 * event-driven re-evaluation.
 */
import { randomUUID } from 'node:crypto';
import { ADVISORY_LOCK, type Db } from '../db/index.ts';
import type { ComplianceEvaluator } from './compliance-evaluator.ts';
import { forgetDecommissioned, type SaveOutcome, storedDigests } from './compliance-store.ts';
import { recordDailySnapshot } from './daily-snapshot.ts';
import { evaluateRows } from './evaluate-rows.ts';
import { encodeEvaluation } from './results-encoding.ts';

/** A pass renews its lease at every page; one page never takes this long. */
const LEASE_SECONDS = 120;

export interface PassOutcome {
  readonly id: string;
  readonly devices: number;
  readonly changed: number;
  readonly durationMs: number;
}

export class FullPass {
  readonly #db: Db;
  readonly #evaluator: ComplianceEvaluator;
  readonly #owner: string;
  readonly #now: () => Date;

  constructor(
    db: Db,
    evaluator: ComplianceEvaluator,
    options: { readonly owner: string; readonly now: () => Date },
  ) {
    this.#db = db;
    this.#evaluator = evaluator;
    this.#owner = options.owner;
    this.#now = options.now;
  }

  /**
   * Runs a pass unless one is running elsewhere, or (unless `force`) one
   * started within `intervalMs`. Answers undefined when it did not run.
   */
  async run(options: {
    readonly intervalMs: number;
    readonly force?: boolean;
  }): Promise<PassOutcome | undefined> {
    const id = await this.#claim(options.intervalMs, options.force === true);
    if (!id) return undefined;
    const started = performance.now();
    let devices = 0;
    let changed = 0;
    try {
      const context = await this.#evaluator.context(true);
      const limit = this.#evaluator.pageSize;
      // Reading page n+1 and writing page n-1 (the database) overlap evaluating page n (this process).
      let next = this.#evaluator.readPage({ after: undefined, limit });
      let writing: Promise<SaveOutcome> = Promise.resolve({ changed: [], superseded: [] });
      for (;;) {
        const rows = await next;
        const last = rows.devices.at(-1)?.id;
        if (last === undefined) break;
        next = this.#evaluator.readPage({ after: last, limit });
        // Awaited at the next round; if this round fails first, the read ahead is dropped, not left unhandled.
        next.catch(() => undefined);
        const previous = await storedDigests(
          this.#db,
          rows.devices.map((d) => d.id),
        );
        const at = this.#evaluator.now();
        // Results are compressed only where the digest differs from the stored one.
        const encoded = evaluateRows(rows, context, at).map(({ compliance }) =>
          encodeEvaluation(compliance, (digest) => digest !== previous.get(compliance.deviceId)),
        );
        changed += (await writing).changed.length;
        // A device whose stored result changed since it was read (another evaluation wrote meanwhile)
        // keeps that result until its next evaluation.
        writing = this.#evaluator.store(encoded, at);
        writing.catch(() => undefined);
        devices += encoded.length;
        await this.#db.query('UPDATE compliance_passes SET lease_until = $2 WHERE id = $1', [
          id,
          new Date(this.#now().getTime() + LEASE_SECONDS * 1000),
        ]);
      }
      changed += (await writing).changed.length;
      await this.#db.transaction((tx) => forgetDecommissioned(tx));
      await recordDailySnapshot(this.#db, this.#now());
    } finally {
      const durationMs = Math.round(performance.now() - started);
      await this.#db.query(
        `UPDATE compliance_passes SET finished_at = $2, lease_until = $2, devices = $3, changed = $4, duration_ms = $5
          WHERE id = $1`,
        [id, this.#now(), devices, changed, durationMs],
      );
    }
    return { id, devices, changed, durationMs: Math.round(performance.now() - started) };
  }

  async #claim(intervalMs: number, force: boolean): Promise<string | undefined> {
    return this.#db.transaction(async (tx) => {
      const locked = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        ADVISORY_LOCK.compliancePass,
      ]);
      if (!locked.rows[0]?.locked) return undefined;
      const now = this.#now();
      const last = await tx.query<{ started_at: Date; finished_at: Date | null; lease_until: Date }>(
        'SELECT started_at, finished_at, lease_until FROM compliance_passes ORDER BY started_at DESC LIMIT 1',
      );
      const previous = last.rows[0];
      if (previous) {
        const running = previous.finished_at === null && previous.lease_until.getTime() > now.getTime();
        if (running) return undefined;
        if (!force && now.getTime() - previous.started_at.getTime() < intervalMs) return undefined;
      }
      const id = randomUUID();
      await tx.query(
        'INSERT INTO compliance_passes (id, owner, started_at, lease_until) VALUES ($1, $2, $3, $4)',
        [id, this.#owner, now, new Date(now.getTime() + LEASE_SECONDS * 1000)],
      );
      // Only the last few passes are worth keeping (the fleet view shows the last one).
      await tx.query(
        `DELETE FROM compliance_passes WHERE started_at < (
           SELECT started_at FROM compliance_passes ORDER BY started_at DESC OFFSET 100 LIMIT 1)`,
      );
      return id;
    });
  }
}
