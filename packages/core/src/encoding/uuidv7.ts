import { randomFillSync } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then randomness, so IDs
 * sort by creation time. Within one millisecond a 12-bit counter in `rand_a`
 * (RFC 9562 §6.2, method 1) keeps IDs from one process strictly increasing.
 */
let lastMs = 0;
let sequence = 0;

export function newUuidV7(now: number = Date.now()): string {
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    sequence += 1;
    if (sequence > 0xfff) {
      // Counter exhausted: borrow the next millisecond rather than repeat or go backwards.
      ms += 1;
      sequence = 0;
    }
  } else {
    sequence = 0;
  }
  lastMs = ms;
  const bytes = Buffer.alloc(16);
  randomFillSync(bytes, 8, 8);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
