import { api } from './api-client.ts';
import type { EventPage, SecurityEvent } from './api-types.ts';

export type LiveStatus = 'off' | 'connecting' | 'live' | 'reconnecting';

/** Back-off between reconnection attempts, in seconds; the last one repeats. */
const BACKOFF_SECONDS = [1, 2, 5, 10, 20];
/** How far before the gap the fill search starts: device clocks and delivery run a little late. */
const GAP_MARGIN_MS = 60_000;
/** Event IDs remembered to drop what the stream and the gap fill both deliver. */
const REMEMBERED_IDS = 5_000;

type Listener = (event: SecurityEvent) => void;

/**
 * One live connection to `GET /v1/events/stream` for the whole app (a
 * browser has six connections per origin; one stream per widget would starve
 * the API calls). Widgets subscribe and filter in the browser. The stream is
 * best effort (docs/events-and-siem.md): after a reconnect, a search from
 * just before the gap fills in what was missed, and IDs already shown are
 * dropped.
 */
export class LiveEvents {
  readonly #listeners = new Set<Listener>();
  readonly #statusListeners = new Set<(status: LiveStatus) => void>();
  readonly #seen = new Set<string>();
  #source: EventSource | undefined;
  #status: LiveStatus = 'off';
  #attempt = 0;
  #timer: number | undefined;
  #lostAt: number | undefined;
  #latestOccurredAt: string | undefined;

  get status(): LiveStatus {
    return this.#status;
  }

  start(): void {
    if (this.#status !== 'off') return;
    this.#open('connecting');
  }

  stop(): void {
    window.clearTimeout(this.#timer);
    this.#source?.close();
    this.#source = undefined;
    this.#lostAt = undefined;
    this.#setStatus('off');
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  #setStatus(status: LiveStatus): void {
    this.#status = status;
    for (const listener of this.#statusListeners) listener(status);
  }

  #open(status: LiveStatus): void {
    this.#setStatus(status);
    const source = new EventSource('/v1/events/stream');
    this.#source = source;
    source.addEventListener('open', () => {
      this.#attempt = 0;
      this.#setStatus('live');
      if (this.#lostAt !== undefined) void this.#fillGap(this.#lostAt);
      this.#lostAt = undefined;
    });
    source.addEventListener('security-event', (message) => {
      this.#deliver(JSON.parse((message as MessageEvent<string>).data) as SecurityEvent);
    });
    source.addEventListener('error', () => {
      // EventSource retries on its own only sometimes (never after a 401 or 503); retry here, with back-off.
      source.close();
      if (this.#source !== source) return;
      this.#source = undefined;
      this.#lostAt ??= Date.now();
      this.#setStatus('reconnecting');
      const delay = BACKOFF_SECONDS[Math.min(this.#attempt, BACKOFF_SECONDS.length - 1)] ?? 20;
      this.#attempt += 1;
      this.#timer = window.setTimeout(() => void this.#reconnect(), delay * 1000);
    });
  }

  get #stopped(): boolean {
    return this.#status === 'off';
  }

  async #reconnect(): Promise<void> {
    if (this.#stopped) return;
    try {
      // A 401 here ends the session in the UI (which calls stop()); other failures just retry.
      await api.get('/v1/auth/me');
    } catch {
      // The stream's own error tells the rest.
    }
    if (!this.#stopped) this.#open('reconnecting');
  }

  async #fillGap(lostAt: number): Promise<void> {
    const from = new Date(
      Math.min(lostAt, this.#latestOccurredAt ? Date.parse(this.#latestOccurredAt) : lostAt) - GAP_MARGIN_MS,
    ).toISOString();
    try {
      const page = await api.get<EventPage>('/v1/events', { from, limit: 1000 });
      for (const event of [...page.events].reverse()) this.#deliver(event);
    } catch {
      // The next reconnect fills again; the list pages also reload on their own.
    }
  }

  #deliver(event: SecurityEvent): void {
    if (this.#seen.has(event.id)) return;
    this.#seen.add(event.id);
    if (this.#seen.size > REMEMBERED_IDS) {
      const oldest = this.#seen.values().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    if (!this.#latestOccurredAt || event.occurredAt > this.#latestOccurredAt)
      this.#latestOccurredAt = event.occurredAt;
    for (const listener of this.#listeners) listener(event);
  }
}

export const liveEvents = new LiveEvents();
