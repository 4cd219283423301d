/**
 * Devices whose evidence changed, re-evaluated shortly after: changes that
 * arrive together (a batch of reports, a revocation of many certificates)
 * are collected for `delayMs` and evaluated as one set, at most `batch` at a
 * time, one batch at a time.
 */
export class ReevaluationQueue {
  readonly #run: (ids: readonly string[]) => Promise<void>;
  readonly #delayMs: number;
  readonly #batch: number;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Set<string>();
  readonly #idle: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = false;

  constructor(
    run: (ids: readonly string[]) => Promise<void>,
    options: { readonly delayMs: number; readonly batch: number; readonly onError: (error: unknown) => void },
  ) {
    this.#run = run;
    this.#delayMs = options.delayMs;
    this.#batch = options.batch;
    this.#onError = options.onError;
  }

  add(ids: Iterable<string>): void {
    if (this.#stopped) return;
    for (const id of ids) this.#pending.add(id);
    this.#schedule();
  }

  /** Resolves once nothing is pending or running. */
  idle(): Promise<void> {
    if (this.#pending.size === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops taking work; resolves when the batch in flight, if any, has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
    await this.idle();
  }

  #schedule(): void {
    if (this.#timer || this.#running || this.#pending.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, this.#delayMs);
    this.#timer.unref();
  }

  async #flush(): Promise<void> {
    const batch: string[] = [];
    for (const id of this.#pending) {
      batch.push(id);
      this.#pending.delete(id);
      if (batch.length >= this.#batch) break;
    }
    this.#running = true;
    try {
      await this.#run(batch);
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#running = false;
    }
    if (this.#pending.size > 0 && !this.#stopped) this.#schedule();
    else for (const resolve of this.#idle.splice(0)) resolve();
  }
}
