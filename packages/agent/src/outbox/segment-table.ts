/** What compaction needs to know about one journal segment. */
export interface SegmentState {
  readonly segment: number;
  /** Records in it not yet durably acknowledged or dropped; 0 means the file can go. */
  live: number;
  /** IDs of its records the ack log lists: kept in the ack log while the segment exists. */
  readonly removedIds: Set<string>;
  /** Bytes in the file (for stats). */
  fileBytes: number;
  /** It held damage: when it can go, it is moved to quarantine/ rather than deleted. */
  damaged: boolean;
}

export class SegmentTable {
  readonly #segments = new Map<number, SegmentState>();

  get size(): number {
    return this.#segments.size;
  }

  get(segment: number): SegmentState | undefined {
    return this.#segments.get(segment);
  }

  ensure(segment: number): SegmentState {
    let state = this.#segments.get(segment);
    if (state === undefined) {
      state = { segment, live: 0, removedIds: new Set(), fileBytes: 0, damaged: false };
      this.#segments.set(segment, state);
    }
    return state;
  }

  delete(segment: number): void {
    this.#segments.delete(segment);
  }

  /** Segments with nothing left to deliver, below `floor` (where writes may be in progress). */
  drained(floor: number): SegmentState[] {
    return [...this.#segments.values()].filter((state) => state.live === 0 && state.segment < floor);
  }

  removedIds(): string[] {
    return [...this.#segments.values()].flatMap((state) => [...state.removedIds]);
  }

  removedCount(): number {
    let count = 0;
    for (const state of this.#segments.values()) count += state.removedIds.size;
    return count;
  }

  fileBytes(): number {
    let bytes = 0;
    for (const state of this.#segments.values()) bytes += state.fileBytes;
    return bytes;
  }
}
