interface Waiting<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted close together share one write + fsync.
 * Flushes start at least `delayMs` apart (bounding the fsync rate, which is
 * what wears out flash storage), so under load each fsync carries every item
 * that arrived during the interval, while a lone item after a quiet spell is
 * flushed at once. A batch reaching `maxBatchBytes` goes without waiting.
 * Flushes never overlap, and `exclusive` runs work between them (log
 * rewrites must not interleave with appends to the same file).
 */
export class GroupCommit<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #delayMs: number;
  readonly #maxBatchBytes: number;
  #queue: Waiting<T>[] = [];
  #queuedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushQueued = false;
  #lastFlushStart = Number.NEGATIVE_INFINITY;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: { flush: (items: T[]) => Promise<void>; delayMs: number; maxBatchBytes: number }) {
    this.#flush = options.flush;
    this.#delayMs = options.delayMs;
    this.#maxBatchBytes = options.maxBatchBytes;
  }

  /** Resolves once the flush that carried `item` has completed; rejects with that flush's error. */
  submit(item: T, bytes: number): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
    });
    this.#queuedBytes += bytes;
    if (this.#timer !== undefined || this.#flushQueued) {
      if (this.#queuedBytes >= this.#maxBatchBytes) this.#scheduleFlush();
      return done;
    }
    const wait = this.#lastFlushStart + this.#delayMs - performance.now();
    if (wait <= 0 || this.#queuedBytes >= this.#maxBatchBytes) {
      this.#scheduleFlush();
    } else {
      this.#timer = setTimeout(() => this.#scheduleFlush(), wait);
    }
    return done;
  }

  /** Runs `work` after the flushes queued so far and before any later one. */
  exclusive<R>(work: () => Promise<R>): Promise<R> {
    const result = this.#chain.then(work);
    this.#chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Flushes whatever is queued and waits until nothing is left, including
   * items submitted by the flushes themselves (a drop report, say).
   */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#queue.length > 0) this.#scheduleFlush();
      const chain = this.#chain;
      await chain;
      if (chain === this.#chain && this.#queue.length === 0) return;
    }
  }

  #scheduleFlush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#chain = this.#chain.then(() => this.#flushOnce());
  }

  async #flushOnce(): Promise<void> {
    this.#flushQueued = false;
    this.#lastFlushStart = performance.now();
    const batch = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (batch.length === 0) return;
    try {
      await this.#flush(batch.map((waiting) => waiting.item));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    for (const waiting of batch) waiting.resolve();
  }
}
