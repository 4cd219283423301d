import type { SecurityEvent } from '@palisade/core';
import type { Db, Queryable } from '../db/index.ts';
import { EventsError } from './events-error.ts';

/** Where a stored event is: its source's key (device ID, '' for the panel), its ID and its partition time. */
export interface EventRef {
  readonly ingestKey: string;
  readonly id: string;
  readonly occurredAt: string;
}

export interface StoredEvent extends SecurityEvent {
  readonly ingestKey: string;
}

export interface EventFilter {
  readonly deviceId?: string;
  readonly types?: readonly string[];
  readonly source?: 'device' | 'panel';
  readonly minSeverity?: number;
  readonly maxSeverity?: number;
  readonly control?: string;
  /** Inclusive lower and exclusive upper bound on the source's timestamp. */
  readonly from?: string;
  readonly to?: string;
}

export interface EventPage {
  readonly events: readonly StoredEvent[];
  /** Opaque; pass it back as `cursor` for the next (older) page. Absent on the last page. */
  readonly nextCursor?: string;
}

interface EventRow {
  ingest_key: string;
  id: string;
  source: 'device' | 'panel';
  device_id: string | null;
  type: string;
  severity: number;
  controls: string[];
  message: string;
  occurred_at: Date;
  received_at: Date;
  fields: Record<string, string | number | boolean>;
}

const COLUMNS =
  'ingest_key, id, source, device_id, type, severity, controls, message, occurred_at, received_at, fields';

/**
 * The security-event table: idempotent inserts (inside the caller's
 * transaction), search newest first with keyset pagination, and lookups by
 * reference for alerts and the live stream. Partitions and retention are
 * EventPartitions' business.
 */
export class EventStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Stores the events that are new for `ingestKey`; answers those (a redelivery stores nothing). */
  async insertIn(
    tx: Queryable,
    ingestKey: string,
    batch: readonly SecurityEvent[],
  ): Promise<SecurityEvent[]> {
    // A batch that repeats an ID stores (and exports) it once: the first one counts.
    const events = [...new Map(batch.map((e) => [e.id, e] as const)).values()];
    if (events.length === 0) return [];
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO security_events (${COLUMNS})
       SELECT $1, e.id, e.source, e.device_id, e.type, e.severity,
              ARRAY(SELECT jsonb_array_elements_text(e.controls)), e.message, e.occurred_at, e.received_at, e.fields
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::jsonb[], $8::text[],
                     $9::timestamptz[], $10::timestamptz[], $11::jsonb[])
           AS e (id, source, device_id, type, severity, controls, message, occurred_at, received_at, fields)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        ingestKey,
        events.map((e) => e.id),
        events.map((e) => e.source),
        events.map((e) => e.deviceId),
        events.map((e) => e.type),
        events.map((e) => e.severity),
        events.map((e) => JSON.stringify(e.controls)),
        events.map((e) => e.message),
        events.map((e) => e.occurredAt),
        events.map((e) => e.receivedAt),
        events.map((e) => JSON.stringify(e.fields)),
      ],
    );
    const fresh = new Set(inserted.rows.map((row) => row.id));
    return events.filter((e) => fresh.has(e.id));
  }

  /** Newest first by source time; `cursor` continues where the previous page stopped. */
  async search(filter: EventFilter, options: { limit: number; cursor?: string }): Promise<EventPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (filter.deviceId !== undefined) add((n) => `device_id = ${n}`, filter.deviceId);
    if (filter.types !== undefined && filter.types.length > 0)
      add((n) => `type = ANY(${n}::text[])`, filter.types);
    if (filter.source !== undefined) add((n) => `source = ${n}`, filter.source);
    if (filter.minSeverity !== undefined) add((n) => `severity >= ${n}`, filter.minSeverity);
    if (filter.maxSeverity !== undefined) add((n) => `severity <= ${n}`, filter.maxSeverity);
    if (filter.control !== undefined) add((n) => `${n} = ANY(controls)`, filter.control);
    if (filter.from !== undefined) add((n) => `occurred_at >= ${n}`, filter.from);
    if (filter.to !== undefined) add((n) => `occurred_at < ${n}`, filter.to);
    if (options.cursor !== undefined) {
      const after = decodeCursor(options.cursor);
      params.push(after.occurredAt, after.ingestKey, after.id);
      const [t, k, i] = [params.length - 2, params.length - 1, params.length];
      where.push(`(occurred_at, ingest_key, id) < ($${t}::timestamptz, $${k}, $${i})`);
    }
    params.push(options.limit + 1);
    const result = await this.#db.query<EventRow>(
      `SELECT ${COLUMNS} FROM security_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY occurred_at DESC, ingest_key DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const rows = result.rows.slice(0, options.limit).map(eventOfRow);
    const last = rows.at(-1);
    return result.rows.length > options.limit && last
      ? { events: rows, nextCursor: encodeCursor(last) }
      : { events: rows };
  }

  /** The events behind `refs`, in the order given; missing ones (past retention) are left out. */
  async byRefs(refs: readonly EventRef[]): Promise<StoredEvent[]> {
    if (refs.length === 0) return [];
    const result = await this.#db.query<EventRow>(
      `SELECT ${COLUMNS} FROM security_events s
         JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS r (ingest_key, id, occurred_at)
           USING (ingest_key, id, occurred_at)`,
      [refs.map((r) => r.ingestKey), refs.map((r) => r.id), refs.map((r) => r.occurredAt)],
    );
    const byKey = new Map(result.rows.map((row) => [`${row.ingest_key}\u0000${row.id}`, eventOfRow(row)]));
    return refs.flatMap((r) => byKey.get(`${r.ingestKey}\u0000${r.id}`) ?? []);
  }

  /** What one ingest batch stored (the live stream fetches it when told by another replica). */
  async batch(marker: {
    ingestKey: string;
    receivedAt: string;
    from: string;
    to: string;
  }): Promise<StoredEvent[]> {
    const result = await this.#db.query<EventRow>(
      `SELECT ${COLUMNS} FROM security_events
        WHERE ingest_key = $1 AND occurred_at BETWEEN $2 AND $3 AND received_at = $4
        ORDER BY occurred_at, id`,
      [marker.ingestKey, marker.from, marker.to, marker.receivedAt],
    );
    return result.rows.map(eventOfRow);
  }
}

function eventOfRow(row: EventRow): StoredEvent {
  return {
    ingestKey: row.ingest_key,
    id: row.id,
    source: row.source,
    deviceId: row.device_id,
    type: row.type,
    severity: row.severity,
    controls: row.controls,
    message: row.message,
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    fields: row.fields,
  };
}

function encodeCursor(event: StoredEvent): string {
  return Buffer.from(JSON.stringify([event.occurredAt, event.ingestKey, event.id])).toString('base64url');
}

function decodeCursor(cursor: string): EventRef {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value.every((part) => typeof part === 'string') &&
      !Number.isNaN(Date.parse(String(value[0])))
    ) {
      const [occurredAt, ingestKey, id] = value as [string, string, string];
      return { occurredAt, ingestKey, id };
    }
  } catch {
    // Falls through to the refusal below: a cursor is ours or it is nothing.
  }
  throw new EventsError('EVENT_CURSOR_INVALID', 'the cursor is not one this panel issued');
}
