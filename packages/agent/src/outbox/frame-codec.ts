import { crc32 } from 'node:zlib';

/**
 * One frame on disk: MAGIC (2 bytes) | payload length (u32 BE) | CRC32 (u32 BE) | payload.
 *
 * The CRC covers the length bytes and the payload, so a flipped length bit is
 * caught as well as a flipped payload bit. The magic lets recovery find the
 * next frame after a damaged one without trusting the damaged length field.
 */
export const FRAME_MAGIC_0 = 0xb0;
export const FRAME_MAGIC_1 = 0x1a;
export const FRAME_HEADER_BYTES = 10;
/** A frame larger than this is damage, not data: the outbox never writes one. */
export const MAX_FRAME_PAYLOAD_BYTES = 4 * 1024 * 1024;

function frameCrc(lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthBytes));
}

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame[0] = FRAME_MAGIC_0;
  frame[1] = FRAME_MAGIC_1;
  frame.writeUInt32BE(payload.length, 2);
  frame.writeUInt32BE(frameCrc(frame.subarray(2, 6), payload), 6);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** A frame whose CRC matched. `offset` and `bytes` locate the whole frame (header included). */
export interface DecodedFrame {
  readonly offset: number;
  readonly bytes: number;
  readonly payload: Buffer;
}

/**
 * Bytes that did not decode. `torn-tail` is damage that runs to the end of the
 * input with no valid frame after it (what an interrupted write leaves);
 * `corrupt` has valid frames after it.
 */
export interface DamagedRange {
  readonly kind: 'torn-tail' | 'corrupt';
  readonly offset: number;
  readonly bytes: number;
}

export interface DecodeResult {
  readonly frames: DecodedFrame[];
  readonly damage: DamagedRange[];
  /** End of the last valid frame: where a torn tail is cut off. */
  readonly validEnd: number;
}

/** The frame starting exactly at `offset`, or undefined if there is none whose CRC matches. */
export function decodeFrameAt(bytes: Buffer, offset: number): DecodedFrame | undefined {
  if (offset < 0 || offset + FRAME_HEADER_BYTES > bytes.length) return undefined;
  if (bytes[offset] !== FRAME_MAGIC_0 || bytes[offset + 1] !== FRAME_MAGIC_1) return undefined;
  const length = bytes.readUInt32BE(offset + 2);
  if (length > MAX_FRAME_PAYLOAD_BYTES) return undefined;
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > bytes.length) return undefined;
  const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
  if (frameCrc(bytes.subarray(offset + 2, offset + 6), payload) !== bytes.readUInt32BE(offset + 6)) {
    return undefined;
  }
  return { offset, bytes: end - offset, payload };
}

/**
 * Every valid frame in `bytes`, in order, and the damaged ranges between them.
 * Never throws: damage is data for the caller to log, and a CRC mismatch is
 * never returned as a frame. After damage it resynchronises on the next
 * offset where a whole frame with a matching CRC starts.
 */
export function decodeFrames(bytes: Buffer): DecodeResult {
  const frames: DecodedFrame[] = [];
  const damage: DamagedRange[] = [];
  let offset = 0;
  let validEnd = 0;
  while (offset < bytes.length) {
    const frame = decodeFrameAt(bytes, offset);
    if (frame !== undefined) {
      frames.push(frame);
      offset += frame.bytes;
      validEnd = offset;
      continue;
    }
    const next = findNextFrame(bytes, offset + 1);
    if (next === undefined) {
      damage.push({ kind: 'torn-tail', offset, bytes: bytes.length - offset });
      break;
    }
    damage.push({ kind: 'corrupt', offset, bytes: next - offset });
    offset = next;
  }
  return { frames, damage, validEnd };
}

function findNextFrame(bytes: Buffer, from: number): number | undefined {
  let at = bytes.indexOf(FRAME_MAGIC_0, from);
  while (at !== -1) {
    if (decodeFrameAt(bytes, at) !== undefined) return at;
    at = bytes.indexOf(FRAME_MAGIC_0, at + 1);
  }
  return undefined;
}
