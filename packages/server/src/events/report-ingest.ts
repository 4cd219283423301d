import type { Db, Queryable } from '../db/index.ts';
import { eventOfReport } from './event-of-report.ts';
import type { EventPipeline } from './event-pipeline.ts';

/** One record from an agent's outbox, as parsed at the device API boundary. */
export interface DeviceReport {
  /** Chosen by the agent, stable across its retries: the ingest deduplicates on (device, id). */
  readonly id: string;
  readonly kind: string;
  readonly severity: number;
  readonly createdAt: string;
  readonly body: unknown;
}

export interface IngestResult {
  /** Every record of the batch: stored now or already stored by an earlier delivery. */
  readonly acknowledged: readonly string[];
  /** How many of them were new. */
  readonly stored: number;
}

/** Told after a batch commits, with the records that were new (rules and exporters hang off this). */
export type ReportListener = (deviceId: string, reports: readonly DeviceReport[]) => Promise<void> | void;

/** Report kinds that describe the device rather than something that happened on it. */
const NOT_EVENTS = new Set(['inventory', 'state']);

/**
 * Idempotent ingest of outbox batches. A batch commits as a whole or not at
 * all, so an acknowledgement always means "in the database"; a redelivered
 * record (the agent crashed before it saw the answer) is acknowledged again
 * and stored once. Events go to the security-event stream (through the
 * pipeline: stored, queued for export and detection); inventory and state
 * reports to the device's journal and projections.
 */
export class ReportIngest {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #listeners: ReportListener[] = [];
  readonly #pipeline: EventPipeline;

  constructor(db: Db, now: () => Date, pipeline: EventPipeline) {
    this.#db = db;
    this.#now = now;
    this.#pipeline = pipeline;
  }

  onReports(listener: ReportListener): void {
    this.#listeners.push(listener);
  }

  async ingest(deviceId: string, reports: readonly DeviceReport[]): Promise<IngestResult> {
    if (reports.length === 0) return { acknowledged: [], stored: 0 };
    const receivedAt = this.#now();
    const events = reports.filter((r) => !NOT_EVENTS.has(r.kind));
    const others = reports.filter((r) => NOT_EVENTS.has(r.kind));
    const fresh = await this.#db.transaction(async (tx) => {
      const storedEvents = await this.#pipeline.storeIn(
        tx,
        deviceId,
        events.map((r) => eventOfReport(deviceId, r, receivedAt)),
      );
      const freshIds = new Set(storedEvents.map((e) => e.id));
      const storedOthers =
        others.length > 0 ? await this.#storeReports(tx, deviceId, others, receivedAt) : [];
      await this.#projectInventory(deviceId, storedOthers, tx);
      // `delete` makes a record repeated inside the batch count once.
      return [...events.filter((r) => freshIds.delete(r.id)), ...storedOthers];
    });
    for (const listener of this.#listeners) await listener(deviceId, fresh);
    return { acknowledged: reports.map((r) => r.id), stored: fresh.length };
  }

  async #storeReports(
    tx: Queryable,
    deviceId: string,
    reports: readonly DeviceReport[],
    receivedAt: Date,
  ): Promise<DeviceReport[]> {
    const inserted = await tx.query<{ record_id: string }>(
      `INSERT INTO device_reports (device_id, record_id, kind, severity, created_at, received_at, body)
       SELECT $1, r.id, r.kind, r.severity, r.created_at, $2, r.body
         FROM unnest($3::text[], $4::text[], $5::smallint[], $6::timestamptz[], $7::jsonb[])
           AS r (id, kind, severity, created_at, body)
       ON CONFLICT (device_id, record_id) DO NOTHING
       RETURNING record_id`,
      [
        deviceId,
        receivedAt,
        reports.map((r) => r.id),
        reports.map((r) => r.kind),
        reports.map((r) => r.severity),
        reports.map((r) => r.createdAt),
        reports.map((r) => JSON.stringify(r.body)),
      ],
    );
    const ids = new Set(inserted.rows.map((row) => row.record_id));
    return reports.filter((r) => ids.has(r.id));
  }

  /** The device's latest inventory, or undefined before its first report. */
  async inventory(
    deviceId: string,
  ): Promise<{ readonly reportedAt: string; readonly inventory: unknown } | undefined> {
    const result = await this.#db.query<{ reported_at: Date; inventory: unknown }>(
      'SELECT reported_at, inventory FROM device_inventory WHERE device_id = $1',
      [deviceId],
    );
    const row = result.rows[0];
    return row && { reportedAt: row.reported_at.toISOString(), inventory: row.inventory };
  }

  /** What one device delivered, events and reports together, newest first by the device's clock. */
  async recent(deviceId: string, limit: number): Promise<DeviceReport[]> {
    const result = await this.#db.query<{
      record_id: string;
      kind: string;
      severity: number;
      created_at: Date;
      body: unknown;
    }>(
      `(SELECT record_id, kind, severity, created_at, body FROM device_reports WHERE device_id = $1
         ORDER BY created_at DESC, record_id DESC LIMIT $2)
       UNION ALL
       (SELECT id, type, severity, occurred_at, jsonb_build_object('message', message) || fields
          FROM security_events WHERE ingest_key = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2)
       ORDER BY created_at DESC, record_id DESC LIMIT $2`,
      [deviceId, limit],
    );
    return result.rows.map((row) => ({
      id: row.record_id,
      kind: row.kind,
      severity: row.severity,
      createdAt: row.created_at.toISOString(),
      body: row.body,
    }));
  }

  // Inventory arrives through the outbox like everything else; the newest one
  // (by the agent's clock, ties broken by record ID) is the device's inventory.
  async #projectInventory(deviceId: string, stored: readonly DeviceReport[], tx: Queryable): Promise<void> {
    let latest: DeviceReport | undefined;
    for (const report of stored) {
      if (report.kind !== 'inventory') continue;
      if (!latest || report.createdAt > latest.createdAt) latest = report;
    }
    if (!latest) return;
    await tx.query(
      `INSERT INTO device_inventory (device_id, record_id, reported_at, inventory) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id) DO UPDATE SET record_id = EXCLUDED.record_id,
         reported_at = EXCLUDED.reported_at, inventory = EXCLUDED.inventory
       WHERE device_inventory.reported_at <= EXCLUDED.reported_at`,
      [deviceId, latest.id, latest.createdAt, JSON.stringify(latest.body)],
    );
  }
}
