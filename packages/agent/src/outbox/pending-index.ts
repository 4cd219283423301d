import { MAX_SEVERITY } from './outbox-record.ts';

/** Where an unacknowledged record's frame is; bodies stay on disk to keep memory small. */
export interface PendingEntry {
  readonly id: string;
  readonly segment: number;
  readonly offset: number;
  /** Frame bytes, header included: what the disk bound counts. */
  readonly bytes: number;
  readonly severity: number;
}

/**
 * The records not yet acknowledged or dropped, in journal order (a Map keeps
 * insertion order), plus one queue per severity so the disk bound finds the
 * lowest-severity oldest record in O(1).
 */
export class PendingIndex {
  readonly #all = new Map<string, PendingEntry>();
  readonly #bySeverity: Map<string, PendingEntry>[] = Array.from(
    { length: MAX_SEVERITY + 1 },
    () => new Map(),
  );
  readonly #inFlight = new Set<string>();
  #bytes = 0;

  get count(): number {
    return this.#all.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  has(id: string): boolean {
    return this.#all.has(id);
  }

  /** False (and nothing changes) when the ID is already pending: one ID, one delivery. */
  add(entry: PendingEntry): boolean {
    if (this.#all.has(entry.id)) return false;
    this.#all.set(entry.id, entry);
    this.#bySeverity[entry.severity]?.set(entry.id, entry);
    this.#bytes += entry.bytes;
    return true;
  }

  remove(id: string): PendingEntry | undefined {
    const entry = this.#all.get(id);
    if (entry === undefined) return undefined;
    this.#all.delete(id);
    this.#bySeverity[entry.severity]?.delete(id);
    this.#inFlight.delete(id);
    this.#bytes -= entry.bytes;
    return entry;
  }

  /** Removes and returns the record the disk bound gives up first. */
  takeLowestOldest(): PendingEntry | undefined {
    for (const queue of this.#bySeverity) {
      for (const id of queue.keys()) return this.remove(id);
    }
    return undefined;
  }

  /** Disk bound: removes lowest severity, oldest first, until the pending bytes fit `maxBytes`. */
  takeOverBound(maxBytes: number): PendingEntry[] {
    const victims: PendingEntry[] = [];
    while (this.#bytes > maxBytes) {
      const victim = this.takeLowestOldest();
      if (victim === undefined) break;
      victims.push(victim);
    }
    return victims;
  }

  /**
   * The oldest records not handed out yet, within the limits (at least one
   * record if any is waiting, however big), marked as handed out.
   */
  handOut(maxRecords: number, maxBytes: number): PendingEntry[] {
    const batch: PendingEntry[] = [];
    let bytes = 0;
    for (const entry of this.#all.values()) {
      if (batch.length >= maxRecords) break;
      if (this.#inFlight.has(entry.id)) continue;
      if (batch.length > 0 && bytes + entry.bytes > maxBytes) break;
      batch.push(entry);
      bytes += entry.bytes;
    }
    for (const entry of batch) this.#inFlight.add(entry.id);
    return batch;
  }

  /** Makes handed-out records available again (all of them without `ids`). */
  release(ids?: Iterable<string>): void {
    if (ids === undefined) {
      this.#inFlight.clear();
      return;
    }
    for (const id of ids) this.#inFlight.delete(id);
  }
}
