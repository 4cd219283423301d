import { createHash, createHmac } from 'node:crypto';
import { hashSize, type TpmHashName } from './tpm-algorithms.ts';

/**
 * KDFa (TPM 2.0 Part 1 §11.4.10.2): NIST SP 800-108 counter mode with HMAC,
 * K(i) = HMAC(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32),
 * concatenated and cut to `bits`. The label is a C string: its terminating
 * 0x00 is part of the input ("STORAGE\0").
 */
export function kdfa(
  hash: TpmHashName,
  key: Uint8Array,
  label: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  return counterMode(hash, bits, (counter) =>
    createHmac(hash, key)
      .update(counter)
      .update(cString(label))
      .update(contextU)
      .update(contextV)
      .update(uint32(bits))
      .digest(),
  );
}

/**
 * KDFe (TPM 2.0 Part 1 §11.4.10.3): the NIST SP 800-56A concatenation KDF,
 * K(i) = H([i]32 || Z || label || 0x00 || partyUInfo || partyVInfo).
 */
export function kdfe(
  hash: TpmHashName,
  z: Uint8Array,
  label: string,
  partyUInfo: Uint8Array,
  partyVInfo: Uint8Array,
  bits: number,
): Uint8Array {
  return counterMode(hash, bits, (counter) =>
    createHash(hash)
      .update(counter)
      .update(z)
      .update(cString(label))
      .update(partyUInfo)
      .update(partyVInfo)
      .digest(),
  );
}

function counterMode(
  hash: TpmHashName,
  bits: number,
  block: (counter: Uint8Array) => Uint8Array,
): Uint8Array {
  // Part 1 §11.4.10.2 masks the excess bits of a non-octet length; Palisade only derives whole octets.
  if (!Number.isInteger(bits) || bits <= 0 || bits % 8 !== 0 || bits > 8 * 1024)
    throw new RangeError(`KDF output of ${bits} bits is not a whole number of octets up to 1 KiB`);
  const out = new Uint8Array(bits / 8);
  const size = hashSize(hash);
  for (let i = 1, offset = 0; offset < out.length; i += 1, offset += size)
    out.set(block(uint32(i)).subarray(0, out.length - offset), offset);
  return out;
}

function uint32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** The label with its terminating 0x00, as the reference implementation's TPM2B labels carry it. */
export function cString(label: string): Uint8Array {
  return Buffer.from(`${label}\0`, 'latin1');
}
