import { malformed, type TpmStructure } from './quote-error.ts';

/**
 * Reads the TPM 2.0 canonical encoding (Part 1 marshaling rules: big-endian, TPM2B = UINT16
 * size + bytes) from untrusted bytes. Every read is checked against what is
 * left, and every TPM2B size against the caller's limit, so a decoder built on
 * it throws QUOTE_MALFORMED and nothing else for short or oversized input.
 */
export class TpmReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #structure: TpmStructure;
  #offset = 0;

  constructor(bytes: Uint8Array, structure: TpmStructure) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#structure = structure;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  u8(field: string): number {
    this.#need(1, field);
    const value = this.#view.getUint8(this.#offset);
    this.#offset += 1;
    return value;
  }

  u16(field: string): number {
    this.#need(2, field);
    const value = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return value;
  }

  u32(field: string): number {
    this.#need(4, field);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  u64(field: string): bigint {
    this.#need(8, field);
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** A copy, so that decoded values never alias the caller's buffer. */
  bytes(length: number, field: string): Uint8Array {
    this.#need(length, field);
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /** A TPM2B: UINT16 size, then that many bytes, at most `max`. */
  sized(field: string, max: number): Uint8Array {
    const start = this.#offset;
    const size = this.u16(`${field} size`);
    if (size > max) throw this.fail(`${field} is ${size} bytes, limit ${max}`, start);
    return this.bytes(size, field);
  }

  /** A structure is exactly its fields: trailing bytes are refused, not ignored. */
  end(): void {
    if (this.remaining !== 0) throw this.fail(`${this.remaining} trailing bytes after the structure`);
  }

  fail(message: string, offset: number = this.#offset) {
    return malformed(this.#structure, message, offset);
  }

  #need(length: number, field: string): void {
    if (this.remaining < length)
      throw this.fail(`truncated at ${field}: needs ${length} bytes, ${this.remaining} left`);
  }
}
