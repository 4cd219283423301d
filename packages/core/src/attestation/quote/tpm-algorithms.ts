/**
 * TPM_ALG_ID and TPM_ECC_CURVE values Palisade meets in attestation (TCG
 * Algorithm Registry; TPM 2.0 Part 2 TPM_ALG_ID, TPM_ECC_CURVE), and their node:crypto names.
 */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CFB: 0x0043,
} as const;

/** The hash algorithms Palisade computes with; PCR banks carry the same names. */
export type TpmHashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const HASHES: ReadonlyMap<number, { readonly name: TpmHashName; readonly size: number }> = new Map([
  [TPM_ALG.SHA1, { name: 'sha1', size: 20 }],
  [TPM_ALG.SHA256, { name: 'sha256', size: 32 }],
  [TPM_ALG.SHA384, { name: 'sha384', size: 48 }],
  [TPM_ALG.SHA512, { name: 'sha512', size: 64 }],
]);

/** The hash Palisade knows by this TPM_ALG_ID, or undefined (SM3, SHA3, or not a hash at all). */
export function tpmHash(
  algorithm: number,
): { readonly name: TpmHashName; readonly size: number } | undefined {
  return HASHES.get(algorithm);
}

const HASH_SIZES: Readonly<Record<TpmHashName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** Digest bytes of a hash (also the size of one PCR of that bank). */
export function hashSize(name: TpmHashName): number {
  return HASH_SIZES[name];
}

export function isTpmHashName(value: string): value is TpmHashName {
  return value === 'sha1' || value === 'sha256' || value === 'sha384' || value === 'sha512';
}

/** Part 2 TPM_ECC_CURVE, restricted to the curves JWK (RFC 7518 §6.2.1.1) and node:crypto share. */
export type TpmCurveName = 'P-256' | 'P-384' | 'P-521';

const CURVES: ReadonlyMap<
  number,
  { readonly name: TpmCurveName; readonly size: number; readonly ecdh: string }
> = new Map([
  [0x0003, { name: 'P-256', size: 32, ecdh: 'prime256v1' }],
  [0x0004, { name: 'P-384', size: 48, ecdh: 'secp384r1' }],
  [0x0005, { name: 'P-521', size: 66, ecdh: 'secp521r1' }],
]);

export function tpmCurve(
  curveId: number,
): { readonly name: TpmCurveName; readonly size: number; readonly ecdh: string } | undefined {
  return CURVES.get(curveId);
}

/** For messages: `0x000b` rather than a bare number. */
export function algorithmHex(algorithm: number): string {
  return `0x${algorithm.toString(16).padStart(4, '0')}`;
}
