import { useSyncExternalStore } from 'react';
import { api, segment } from './api-client.ts';
import type { Presence } from './api-types.ts';

/** How long a presence answer is shown before it is asked again. */
const FRESH_MS = 30_000;
/** Presence requests in flight at once: the browser's six connections are shared with the rest of the app. */
const CONCURRENCY = 4;

interface Entry {
  readonly presence: Presence;
  readonly at: number;
}

/**
 * Presence of the devices on screen, cached for the whole app. The API
 * answers presence per device (`GET /v1/devices/:id/presence`), so the device
 * table asks for the rows it shows and the overview for a sample; requests
 * queue with a small concurrency and listeners re-render once per frame.
 */
class PresenceStore {
  readonly #entries = new Map<string, Entry>();
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #listeners = new Set<() => void>();
  #running = 0;
  #frame: number | undefined;
  #version = 0;

  get version(): number {
    return this.#version;
  }

  get(deviceId: string): Presence | undefined {
    return this.#entries.get(deviceId)?.presence;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Queues the devices whose presence is unknown or stale; `first` jumps the queue (rows on screen). */
  request(deviceIds: readonly string[], options: { first?: boolean } = {}): void {
    const now = Date.now();
    const wanted = deviceIds.filter((id) => {
      const entry = this.#entries.get(id);
      return !this.#queued.has(id) && (!entry || now - entry.at > FRESH_MS);
    });
    for (const id of wanted) this.#queued.add(id);
    if (options.first) this.#queue.unshift(...wanted);
    else this.#queue.push(...wanted);
    while (this.#running < CONCURRENCY && this.#queue.length > 0) void this.#work();
  }

  /** How many of `deviceIds` have an answer. */
  known(deviceIds: readonly string[]): number {
    return deviceIds.reduce((n, id) => (this.#entries.has(id) ? n + 1 : n), 0);
  }

  async #work(): Promise<void> {
    this.#running += 1;
    try {
      for (let id = this.#queue.shift(); id !== undefined; id = this.#queue.shift()) {
        try {
          const presence = await api.get<Presence>(`/v1/devices/${segment(id)}/presence`);
          this.#entries.set(id, { presence, at: Date.now() });
          this.#changed();
        } catch {
          // Removed meanwhile, or a transient failure: it stays unknown until asked again.
        } finally {
          this.#queued.delete(id);
        }
      }
    } finally {
      this.#running -= 1;
    }
  }

  #changed(): void {
    this.#frame ??= window.requestAnimationFrame(() => {
      this.#frame = undefined;
      this.#version += 1;
      for (const listener of this.#listeners) listener();
    });
  }
}

export const presenceStore = new PresenceStore();

/** Re-renders when presence answers arrive; read them with presenceStore.get(). */
export function usePresenceVersion(): number {
  return useSyncExternalStore(
    (onChange) => presenceStore.subscribe(onChange),
    () => presenceStore.version,
  );
}
