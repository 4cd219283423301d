/**
 * Test-only: writes event-log records byte by byte, well-formed or not, so
 * the parser's tests can say exactly which field is wrong. (Valid logs with
 * their expected PCRs for attestation tests: testkit's EventLogBuilder.)
 */
import { createHash } from 'node:crypto';

export const ALG_SHA1 = 0x0004;
export const ALG_SHA256 = 0x000b;
export const SHA1_AND_SHA256: readonly (readonly [number, number])[] = [
  [ALG_SHA1, 20],
  [ALG_SHA256, 32],
];

export function u16(value: number): Uint8Array {
  const bytes = new Uint8Array(2);
  new DataView(bytes.buffer).setUint16(0, value, true);
  return bytes;
}

export function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

export function u64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function utf16(text: string): Uint8Array {
  return concat(...[...text].map((c) => u16(c.charCodeAt(0))));
}

export function digestOf(algId: number, data: Uint8Array): Uint8Array {
  return createHash(algId === ALG_SHA1 ? 'sha1' : 'sha256')
    .update(data)
    .digest();
}

/** TCG_PCClientPCREvent. */
export function sha1Record(pcr: number, type: number, digest: Uint8Array, data: Uint8Array): Uint8Array {
  return concat(u32(pcr), u32(type), digest, u32(data.length), data);
}

/** TCG_EfiSpecIDEventStruct with the given (algId, digestSize) pairs. */
export function specIdData(
  algorithms: readonly (readonly [number, number])[] = SHA1_AND_SHA256,
  vendorInfo: Uint8Array = new Uint8Array(),
): Uint8Array {
  return concat(
    ascii('Spec ID Event03\0'),
    u32(0), // platformClass: client
    Uint8Array.of(0, 2, 0, 2), // specVersionMinor, specVersionMajor, specErrata, uintnSize
    u32(algorithms.length),
    ...algorithms.map(([algId, size]) => concat(u16(algId), u16(size))),
    Uint8Array.of(vendorInfo.length),
    vendorInfo,
  );
}

/** The legacy-format first record carrying a Spec ID event. */
export function specIdRecord(algorithms = SHA1_AND_SHA256, vendorInfo?: Uint8Array): Uint8Array {
  return sha1Record(0, 3, new Uint8Array(20), specIdData(algorithms, vendorInfo));
}

/** TCG_PCR_EVENT2 with the given (algId, digest) list, written as is. */
export function agileRecord(
  pcr: number,
  type: number,
  digests: readonly (readonly [number, Uint8Array])[],
  data: Uint8Array,
): Uint8Array {
  return concat(
    u32(pcr),
    u32(type),
    u32(digests.length),
    ...digests.map(([algId, digest]) => concat(u16(algId), digest)),
    u32(data.length),
    data,
  );
}

/** A TCG_PCR_EVENT2 whose SHA-1 and SHA-256 digests are those of its data. */
export function measuredRecord(pcr: number, type: number, data: Uint8Array): Uint8Array {
  return agileRecord(
    pcr,
    type,
    SHA1_AND_SHA256.map(([algId]) => [algId, digestOf(algId, data)] as const),
    data,
  );
}

/** A crypto-agile SHA-1 + SHA-256 log of the given TCG_PCR_EVENT2 records. */
export function agileLog(...records: readonly Uint8Array[]): Uint8Array {
  return concat(specIdRecord(), ...records);
}
