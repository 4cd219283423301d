/**
 * Exponential backoff with full jitter (the delay is uniform in
 * [0, min(cap, base·2^attempt)]): a fleet that lost its panel at the same
 * moment does not come back at the same moment.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(
    options: { readonly baseMs?: number; readonly capMs?: number; readonly random?: () => number } = {},
  ) {
    this.#baseMs = options.baseMs ?? 1_000;
    this.#capMs = options.capMs ?? 5 * 60_000;
    this.#random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call widens the window up to the cap. */
  next(): number {
    const ceiling = Math.min(this.#capMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(this.#random() * ceiling);
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (shutdown must not wait out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
