import type { Db, Queryable } from '../db/index.ts';
import type { ExportEvent } from './export-destination.ts';

export interface QueuedBatch {
  /** Exactly the rows read: concurrent ingest transactions may commit lower sequence numbers later. */
  readonly seqs: readonly number[];
  readonly events: readonly ExportEvent[];
}

export interface ExporterLag {
  readonly exporterId: string;
  readonly pending: number;
  readonly oldestEnqueuedAt: string | null;
  readonly delivered: number;
  readonly dropped: number;
  readonly lastDeliveredAt: string | null;
  readonly lastError: string | null;
}

/** Retention is enforced at most this often per exporter (a DELETE by age scans the queue). */
const RETENTION_CHECK_MS = 30_000;

/**
 * The exporters' durable queues in the database (SI-4). Events are queued
 * inside the ingest transaction, so an event stored is an event queued, for
 * every enabled exporter whose severity floor it reaches. A replica works an
 * exporter's queue only while it holds that exporter's lease, which keeps
 * the queue in order and each event sent once (bar a crash between a send
 * and its removal: then the batch goes again).
 */
export class ExporterQueue {
  readonly #db: Db;
  readonly #owner: string;
  readonly #leaseSeconds: number;
  /** When each exporter's retention was last enforced here: it scans the queue, so not for every batch. */
  readonly #retentionCheckedAt = new Map<string, number>();

  constructor(db: Db, options: { readonly owner: string; readonly leaseSeconds?: number }) {
    this.#db = db;
    this.#owner = options.owner;
    this.#leaseSeconds = options.leaseSeconds ?? 30;
  }

  /** Queues `events` for every enabled exporter; call inside the transaction that stores them. */
  async enqueueIn(tx: Queryable, events: readonly ExportEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `INSERT INTO siem_outbox (exporter_id, event)
       SELECT e.id, ev.event FROM siem_exporters e
         CROSS JOIN unnest($1::jsonb[], $2::smallint[]) WITH ORDINALITY AS ev (event, severity, n)
        WHERE e.enabled AND ev.severity >= e.min_severity
        -- Sequence numbers follow the batch's order, so each exporter sends events as they came.
        ORDER BY e.id, ev.n`,
      [events.map((event) => JSON.stringify(event)), events.map((event) => event.severity)],
    );
  }

  /** Takes (or renews) the exporter's lease; false while another replica holds a live one. */
  async lease(exporterId: string): Promise<boolean> {
    const result = await this.#db.query(
      `INSERT INTO siem_exporter_state (exporter_id, lease_owner, lease_until)
       VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (exporter_id) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
        WHERE siem_exporter_state.lease_owner = EXCLUDED.lease_owner
           OR siem_exporter_state.lease_owner IS NULL
           OR siem_exporter_state.lease_until < now()
       RETURNING exporter_id`,
      [exporterId, this.#owner, this.#leaseSeconds],
    );
    return result.rowCount > 0;
  }

  async release(exporterId: string): Promise<void> {
    await this.#db.query(
      'UPDATE siem_exporter_state SET lease_owner = NULL, lease_until = NULL WHERE exporter_id = $1 AND lease_owner = $2',
      [exporterId, this.#owner],
    );
  }

  /** The oldest queued events, in order; drops (and counts) those past the exporter's retention first. */
  async next(exporterId: string, limit: number): Promise<QueuedBatch | undefined> {
    const lastCheck = this.#retentionCheckedAt.get(exporterId) ?? 0;
    if (Date.now() - lastCheck >= RETENTION_CHECK_MS) {
      this.#retentionCheckedAt.set(exporterId, Date.now());
      await this.#dropExpired(exporterId);
    }
    const rows = await this.#db.query<{ seq: number; event: ExportEvent }>(
      'SELECT seq, event FROM siem_outbox WHERE exporter_id = $1 ORDER BY seq LIMIT $2',
      [exporterId, limit],
    );
    const last = rows.rows.at(-1);
    return last
      ? { seqs: rows.rows.map((row) => row.seq), events: rows.rows.map((row) => row.event) }
      : undefined;
  }

  async #dropExpired(exporterId: string): Promise<void> {
    const expired = await this.#db.query(
      `DELETE FROM siem_outbox o USING siem_exporters e
        WHERE o.exporter_id = $1 AND e.id = o.exporter_id
          AND o.enqueued_at < now() - make_interval(secs => e.retention_seconds)`,
      [exporterId],
    );
    if (expired.rowCount > 0) {
      await this.#db.query('UPDATE siem_exporter_state SET dropped = dropped + $2 WHERE exporter_id = $1', [
        exporterId,
        expired.rowCount,
      ]);
    }
  }

  /** Removes what the destination took; answers false (removing nothing) when the lease was lost meanwhile. */
  async delivered(exporterId: string, batch: QueuedBatch): Promise<boolean> {
    return this.#db.transaction(async (tx): Promise<boolean> => {
      const state = await tx.query(
        'SELECT 1 FROM siem_exporter_state WHERE exporter_id = $1 AND lease_owner = $2 FOR UPDATE',
        [exporterId, this.#owner],
      );
      if (state.rowCount === 0) return false;
      // By the rows sent, never `seq <= last`: a row committed late with a lower seq has not been sent.
      await tx.query('DELETE FROM siem_outbox WHERE exporter_id = $1 AND seq = ANY($2::bigint[])', [
        exporterId,
        batch.seqs,
      ]);
      await tx.query(
        `UPDATE siem_exporter_state SET delivered = delivered + $2, last_delivered_at = now(), last_error = NULL
          WHERE exporter_id = $1`,
        [exporterId, batch.events.length],
      );
      return true;
    });
  }

  async failed(exporterId: string, message: string): Promise<void> {
    await this.#db.query(
      'UPDATE siem_exporter_state SET last_error = $2, last_error_at = now() WHERE exporter_id = $1',
      [exporterId, message.slice(0, 500)],
    );
  }

  /** Lag per exporter: what waits, since when, and what went or was dropped. */
  async lag(): Promise<ExporterLag[]> {
    const result = await this.#db.query<{
      id: string;
      pending: number;
      oldest: Date | null;
      delivered: number | null;
      dropped: number | null;
      last_delivered_at: Date | null;
      last_error: string | null;
    }>(
      `SELECT e.id, (SELECT count(*)::int FROM siem_outbox o WHERE o.exporter_id = e.id) AS pending,
              (SELECT min(enqueued_at) FROM siem_outbox o WHERE o.exporter_id = e.id) AS oldest,
              s.delivered, s.dropped, s.last_delivered_at, s.last_error
         FROM siem_exporters e LEFT JOIN siem_exporter_state s ON s.exporter_id = e.id ORDER BY e.name`,
    );
    return result.rows.map((row) => ({
      exporterId: row.id,
      pending: row.pending,
      oldestEnqueuedAt: row.oldest?.toISOString() ?? null,
      delivered: row.delivered ?? 0,
      dropped: row.dropped ?? 0,
      lastDeliveredAt: row.last_delivered_at?.toISOString() ?? null,
      lastError: row.last_error,
    }));
  }
}
