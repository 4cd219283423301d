import type { SecurityEvent } from '@palisade/core';
import type { Db, Queryable } from '../db/index.ts';
import type { ExportEvent } from '../siem/index.ts';
import type { EventStore } from './event-store.ts';

/** Queues stored events for the SIEM exporters, inside the storing transaction. */
export type ExportEnqueuer = (tx: Queryable, events: readonly ExportEvent[]) => Promise<void>;
/** Queues stored events for the detection worker, inside the storing transaction. */
export type DetectionEnqueuer = (
  tx: Queryable,
  ingestKey: string,
  events: readonly SecurityEvent[],
) => Promise<void>;

/** NOTIFY channel announcing each committed batch: the live stream and the workers on every replica wake on it. */
export const EVENTS_CHANNEL = 'palisade_events';

/** What a batch announcement says: enough to fetch exactly that batch back by its partition and key. */
export interface BatchMarker {
  readonly ingestKey: string;
  readonly receivedAt: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Where every security event goes, from a device or from the panel: stored
 * once, queued for each exporter and for detection in the same transaction
 * (an event stored is an event that will be exported and evaluated), then
 * announced to all replicas after the commit.
 */
export class EventPipeline {
  readonly #db: Db;
  readonly #store: EventStore;
  readonly #exports: ExportEnqueuer | undefined;
  #detection: DetectionEnqueuer | undefined;

  constructor(db: Db, store: EventStore, exports?: ExportEnqueuer) {
    this.#db = db;
    this.#store = store;
    this.#exports = exports;
  }

  /** The detection context plugs in here (it is built after the pipeline). */
  setDetection(enqueue: DetectionEnqueuer): void {
    this.#detection = enqueue;
  }

  /** Stores, inside `tx`, those of `events` that are new for `ingestKey`, and queues them; answers those. */
  async storeIn(
    tx: Queryable,
    ingestKey: string,
    events: readonly SecurityEvent[],
  ): Promise<SecurityEvent[]> {
    const fresh = await this.#store.insertIn(tx, ingestKey, events);
    if (fresh.length === 0) return fresh;
    await this.#exports?.(tx, fresh.map(exportEventOf));
    await this.#detection?.(tx, ingestKey, fresh);
    // Inside the transaction: PostgreSQL delivers it at commit, and never for a rollback.
    await tx.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify(markerOf(ingestKey, fresh))]);
    return fresh;
  }

  /** Stores the panel's own events (ingest key ''), in a transaction of their own. */
  async record(events: readonly SecurityEvent[]): Promise<SecurityEvent[]> {
    return this.#db.transaction((tx) => this.storeIn(tx, '', events));
  }
}

function markerOf(ingestKey: string, events: readonly SecurityEvent[]): BatchMarker {
  let from = events[0]?.occurredAt ?? '';
  let to = from;
  for (const event of events) {
    if (event.occurredAt < from) from = event.occurredAt;
    if (event.occurredAt > to) to = event.occurredAt;
  }
  return { ingestKey, receivedAt: events[0]?.receivedAt ?? '', from, to };
}

/** The exporters' view: the body carries message and fields, which the SIEM formats map field by field. */
export function exportEventOf(event: SecurityEvent): ExportEvent {
  return {
    id: event.id,
    source: event.source,
    deviceId: event.deviceId,
    type: event.type,
    severity: event.severity,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    body: { message: event.message, ...event.fields },
  };
}

/** Parses a marker from NOTIFY; undefined for anything else (another version's payload). */
export function parseBatchMarker(payload: string): BatchMarker | undefined {
  try {
    const value = JSON.parse(payload) as Partial<BatchMarker>;
    if (
      typeof value.ingestKey === 'string' &&
      typeof value.receivedAt === 'string' &&
      typeof value.from === 'string' &&
      typeof value.to === 'string'
    )
      return value as BatchMarker;
  } catch {
    // Not ours: ignored.
  }
  return undefined;
}
