import type { SecurityEvent } from '@palisade/core';
import type { Db } from '../db/index.ts';
import { EVENTS_CHANNEL, parseBatchMarker } from './event-pipeline.ts';
import type { EventFilter, EventStore } from './event-store.ts';

export type EventSubscriber = (event: SecurityEvent) => void;
/** Told of every committed batch on any replica (workers wake on it). */
export type BatchListener = () => void;

/** Live subscribers one replica serves at most: each costs a socket and a filter test per event. */
export const MAX_STREAM_SUBSCRIBERS = 256;

/**
 * The live event stream on one replica. Every replica announces each committed
 * batch over PostgreSQL NOTIFY; a replica with subscribers fetches the batch
 * (by its partition and key) and hands each event to the subscribers whose
 * filter it passes. Best effort, like NOTIFY: a dashboard that reconnects
 * fills the gap with a search.
 */
export class EventStream {
  readonly #db: Db;
  readonly #store: EventStore;
  readonly #subscribers = new Map<EventSubscriber, EventFilter>();
  readonly #batchListeners: BatchListener[] = [];
  #unlisten: (() => Promise<void>) | undefined;
  #onError: (error: unknown) => void = () => undefined;

  constructor(db: Db, store: EventStore) {
    this.#db = db;
    this.#store = store;
  }

  async start(onError: (error: unknown) => void): Promise<void> {
    this.#onError = onError;
    this.#unlisten = await this.#db.listen(EVENTS_CHANNEL, (payload) => this.#receive(payload));
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
    this.#subscribers.clear();
  }

  onBatch(listener: BatchListener): void {
    this.#batchListeners.push(listener);
  }

  /** Adds a subscriber; answers the function that removes it, or undefined when the replica is full. */
  subscribe(filter: EventFilter, subscriber: EventSubscriber): (() => void) | undefined {
    if (this.#subscribers.size >= MAX_STREAM_SUBSCRIBERS) return undefined;
    this.#subscribers.set(subscriber, filter);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  #receive(payload: string): void {
    const marker = parseBatchMarker(payload);
    if (!marker) return;
    for (const listener of this.#batchListeners) listener();
    if (this.#subscribers.size === 0) return;
    this.#store.batch(marker).then(
      (events) => {
        for (const event of events)
          for (const [subscriber, filter] of this.#subscribers) if (passes(event, filter)) subscriber(event);
      },
      (error: unknown) => this.#onError(error),
    );
  }
}

/** The search filter, applied to one event in memory (same meaning as EventStore.search). */
export function passes(event: SecurityEvent, filter: EventFilter): boolean {
  if (filter.deviceId !== undefined && event.deviceId !== filter.deviceId) return false;
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.includes(event.type))
    return false;
  if (filter.source !== undefined && event.source !== filter.source) return false;
  if (filter.minSeverity !== undefined && event.severity < filter.minSeverity) return false;
  if (filter.maxSeverity !== undefined && event.severity > filter.maxSeverity) return false;
  if (filter.control !== undefined && !event.controls.includes(filter.control)) return false;
  if (filter.from !== undefined && event.occurredAt < filter.from) return false;
  if (filter.to !== undefined && event.occurredAt >= filter.to) return false;
  return true;
}
