import type { SecurityEvent } from '@palisade/core';
import type { Db, Queryable } from '../db/index.ts';

/** An event waiting for evaluation, with what the rules need beside it. */
export interface QueuedEvent {
  readonly seq: number;
  readonly event: SecurityEvent;
  readonly ingestKey: string;
  readonly group: string | null;
}

/**
 * The detection worker's durable input: events queued in the transaction that
 * stores them (so none is missed across a crash), removed by exactly the rows
 * evaluated in the transaction that records their alerts (so none is
 * evaluated twice to an alert, and a row committed late is not skipped).
 */
export class DetectionQueue {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async enqueueIn(tx: Queryable, ingestKey: string, events: readonly SecurityEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `INSERT INTO detection_queue (event, group_name)
       SELECT e.event || jsonb_build_object('ingestKey', $2::text), d.group_name
         FROM unnest($1::jsonb[]) WITH ORDINALITY AS e (event, n)
         LEFT JOIN devices d ON d.id = e.event ->> 'deviceId'
        ORDER BY e.n`,
      [events.map((event) => JSON.stringify(event)), ingestKey],
    );
  }

  async next(limit: number): Promise<QueuedEvent[]> {
    const result = await this.#db.query<{
      seq: number;
      event: SecurityEvent & { ingestKey: string };
      group_name: string | null;
    }>('SELECT seq, event, group_name FROM detection_queue ORDER BY seq LIMIT $1', [limit]);
    return result.rows.map(({ seq, event, group_name }) => {
      const { ingestKey, ...rest } = event;
      return { seq, event: rest, ingestKey, group: group_name };
    });
  }

  async removeIn(tx: Queryable, seqs: readonly number[]): Promise<void> {
    await tx.query('DELETE FROM detection_queue WHERE seq = ANY($1::bigint[])', [seqs]);
  }

  async depth(): Promise<number> {
    const result = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM detection_queue');
    return result.rows[0]?.n ?? 0;
  }
}
