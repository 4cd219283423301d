import { EventLogError } from './event-log.ts';

export interface ByteReaderOptions {
  /** Where the bytes start within the log, so errors name offsets in the log, not in a sub-structure. */
  readonly base?: number;
  readonly eventIndex?: number;
  /**
   * What a read past the end means: the log ends too early (EVENT_LOG_TRUNCATED,
   * the default), or, inside one event's data, a structure disagrees with the
   * eventSize that frames it (EVENT_LOG_MALFORMED).
   */
  readonly shortRead?: 'EVENT_LOG_TRUNCATED' | 'EVENT_LOG_MALFORMED';
}

/**
 * A cursor over untrusted little-endian bytes (PFP §10.2: every event log
 * integer is little-endian). Each read checks its length against what is
 * left before touching the buffer, so no length from the log is ever used
 * to read or allocate past its end; a short read throws an EventLogError
 * naming the byte offset (from the start of the log) and the event.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #base: number;
  readonly #shortRead: 'EVENT_LOG_TRUNCATED' | 'EVENT_LOG_MALFORMED';
  #offset = 0;
  /** The event being read, for error messages; undefined while reading the log header. */
  eventIndex: number | undefined;

  constructor(bytes: Uint8Array, options: ByteReaderOptions = {}) {
    this.#bytes = bytes;
    // The view must start at the array's own offset: a Uint8Array may be a window on a larger buffer.
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#base = options.base ?? 0;
    this.#shortRead = options.shortRead ?? 'EVENT_LOG_TRUNCATED';
    this.eventIndex = options.eventIndex;
  }

  /** The offset of the next byte in the log. */
  get offset(): number {
    return this.#base + this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  u8(what: string): number {
    this.#need(1, what);
    const value = this.#view.getUint8(this.#offset);
    this.#offset += 1;
    return value;
  }

  u16(what: string): number {
    this.#need(2, what);
    const value = this.#view.getUint16(this.#offset, true);
    this.#offset += 2;
    return value;
  }

  u32(what: string): number {
    this.#need(4, what);
    const value = this.#view.getUint32(this.#offset, true);
    this.#offset += 4;
    return value;
  }

  u64(what: string): bigint {
    this.#need(8, what);
    const value = this.#view.getBigUint64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  /** A copy of the next `length` bytes: the result stays valid whatever the caller does with its buffer. */
  bytes(length: number, what: string): Uint8Array {
    this.#need(length, what);
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  fail(code: 'EVENT_LOG_MALFORMED' | 'EVENT_LOG_TOO_LARGE', message: string, at = this.offset): never {
    throw new EventLogError(code, message, this.#where(at));
  }

  #need(length: number, what: string): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining) {
      throw new EventLogError(
        this.#shortRead,
        `${what} needs ${length} bytes, ${this.remaining} left`,
        this.#where(this.offset),
      );
    }
  }

  #where(offset: number): { offset: number; eventIndex?: number } {
    return this.eventIndex === undefined ? { offset } : { offset, eventIndex: this.eventIndex };
  }
}
