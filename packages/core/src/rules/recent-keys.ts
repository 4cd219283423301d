/**
 * A map capped at `capacity` entries that evicts the least recently seen one:
 * the engine's per-rule state (one entry per device, group or distinct
 * device) stays bounded however many keys a flood of events invents. Every
 * read through `touch` and every `set` counts as seen; a JavaScript Map keeps
 * insertion order, so re-inserting moves a key to the recent end in O(1).
 */
export class RecentKeys<T> {
  readonly capacity: number;
  readonly #entries = new Map<string, T>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for key, which becomes the most recently seen. */
  touch(key: string): T | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The least recently seen entry. */
  oldest(): [string, T] | undefined {
    const first = this.#entries.entries().next();
    return first.done ? undefined : first.value;
  }

  /** From least to most recently seen. */
  entries(): IterableIterator<[string, T]> {
    return this.#entries.entries();
  }

  values(): IterableIterator<T> {
    return this.#entries.values();
  }
}
