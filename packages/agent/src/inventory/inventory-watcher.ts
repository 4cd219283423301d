import { inventoryDigest } from './inventory-digest.ts';
import type { Inventory } from './types.ts';

/** Calls `callback` once after `delayMs`; returns a function that cancels it. */
export type Scheduler = (callback: () => void, delayMs: number) => () => void;

export interface InventoryWatcherOptions {
  /** Usually `() => collectInventory({ … })`; it should not reject, but a rejection is reported to onError. */
  readonly collect: () => Promise<Inventory>;
  /** Called at start and whenever the digest changes. If it rejects, the next check reports again. */
  readonly onChange: (inventory: Inventory, digest: string) => void | Promise<void>;
  /** Default 5 minutes. */
  readonly intervalMs?: number;
  /** Default: an unref'd setTimeout, so the watcher alone does not keep the process alive. */
  readonly schedule?: Scheduler;
  readonly onError?: (error: unknown) => void;
}

export const DEFAULT_INVENTORY_INTERVAL_MS = 5 * 60 * 1000;

const defaultScheduler: Scheduler = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Re-collects the inventory on an interval and reports it only when its
 * digest (`inventoryDigest`, which ignores churny details) differs from the
 * last one reported. Checks never overlap: the next is scheduled when one ends.
 */
export class InventoryWatcher implements AsyncDisposable {
  readonly #options: InventoryWatcherOptions;
  readonly #schedule: Scheduler;
  #lastDigest: string | undefined;
  #inFlight: Promise<boolean> | undefined;
  #cancelTimer: (() => void) | undefined;
  #stopped = false;

  constructor(options: InventoryWatcherOptions) {
    this.#options = options;
    this.#schedule = options.schedule ?? defaultScheduler;
  }

  /** Digest of the last inventory `onChange` accepted. */
  get lastDigest(): string | undefined {
    return this.#lastDigest;
  }

  /** Reports the inventory now (the "at start" report), then checks every interval until stopped. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.check();
    this.#scheduleNext();
  }

  /**
   * Collects once and calls `onChange` if the digest changed. Resolves true
   * when it reported. A call during a running check joins that check.
   */
  check(): Promise<boolean> {
    this.#inFlight ??= this.#checkOnce().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#inFlight;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #checkOnce(): Promise<boolean> {
    try {
      const inventory = await this.#options.collect();
      const digest = inventoryDigest(inventory);
      if (digest === this.#lastDigest) return false;
      await this.#options.onChange(inventory, digest);
      // Only after onChange succeeded: a failed report is retried at the next check.
      this.#lastDigest = digest;
      return true;
    } catch (error) {
      this.#options.onError?.(error);
      return false;
    }
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    this.#cancelTimer?.();
    this.#cancelTimer = this.#schedule(() => {
      this.#cancelTimer = undefined;
      void this.check().finally(() => this.#scheduleNext());
    }, this.#options.intervalMs ?? DEFAULT_INVENTORY_INTERVAL_MS);
  }
}
