/**
 * Test-only encoders of TPM 2.0 structures for keys made by node:crypto: they
 * let unit tests build what no well-behaved TPM emits (a signed attest of the
 * wrong type, an EK whose private key the test holds) and check the decoders'
 * refusals field by field. Production code only decodes.
 */
import { constants, createHash, type KeyObject, sign } from 'node:crypto';
import { TPM_ALG } from './tpm-algorithms.ts';
import type { TpmObjectAttributes } from './tpm-public.ts';

type Attributes = Partial<Record<keyof TpmObjectAttributes, boolean>>;

const BITS: Readonly<Record<keyof TpmObjectAttributes, number>> = {
  fixedTPM: 1,
  stClear: 2,
  fixedParent: 4,
  sensitiveDataOrigin: 5,
  userWithAuth: 6,
  adminWithPolicy: 7,
  noDA: 10,
  encryptedDuplication: 11,
  restricted: 16,
  decrypt: 17,
  sign: 18,
  x509sign: 19,
};

/** What `tpm2_createak` sets. */
export const AK_ATTRIBUTES: Attributes = {
  fixedTPM: true,
  fixedParent: true,
  sensitiveDataOrigin: true,
  userWithAuth: true,
  restricted: true,
  sign: true,
};
/** The TCG EK template's attributes (TCG EK Credential Profile, default EK templates). */
export const EK_ATTRIBUTES: Attributes = {
  fixedTPM: true,
  fixedParent: true,
  sensitiveDataOrigin: true,
  adminWithPolicy: true,
  restricted: true,
  decrypt: true,
};

export function u16(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

export function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export function tpm2b(bytes: Uint8Array): Uint8Array {
  return concat(u16(bytes.length), bytes);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function attributeBits(attributes: Attributes): number {
  let bits = 0;
  for (const [name, set] of Object.entries(attributes))
    if (set) bits |= 1 << BITS[name as keyof TpmObjectAttributes];
  return bits >>> 0;
}

export interface PublicOptions {
  readonly attributes: Attributes;
  /** [scheme, hashAlg], or null for TPM_ALG_NULL; ECDSA-SHA256 / RSASSA-SHA256 by default for signing keys. */
  readonly scheme?: readonly [number, number] | null;
  /** AES-128-CFB for decryption keys by default. */
  readonly symmetric?: readonly [number, number, number] | null;
  readonly nameAlg?: number;
  readonly authPolicy?: Uint8Array;
}

/** TPM2B_PUBLIC of a node:crypto RSA or P-256/384/521 public key. */
export function tpmPublicOf(key: KeyObject, options: PublicOptions): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const isRsa = jwk.kty === 'RSA';
  const signing = options.attributes.sign === true;
  const scheme =
    options.scheme === undefined
      ? signing
        ? ([isRsa ? TPM_ALG.RSASSA : TPM_ALG.ECDSA, TPM_ALG.SHA256] as const)
        : null
      : options.scheme;
  const symmetric =
    options.symmetric === undefined
      ? signing
        ? null
        : ([TPM_ALG.AES, 128, TPM_ALG.CFB] as const)
      : options.symmetric;
  const symmetricBytes = symmetric === null ? u16(TPM_ALG.NULL) : concat(...symmetric.map(u16));
  const schemeBytes = scheme === null ? u16(TPM_ALG.NULL) : concat(...scheme.map(u16));
  const b = (text: string | undefined) => new Uint8Array(Buffer.from(text ?? '', 'base64url'));
  const head = concat(
    u16(isRsa ? TPM_ALG.RSA : TPM_ALG.ECC),
    u16(options.nameAlg ?? TPM_ALG.SHA256),
    u32(attributeBits(options.attributes)),
    tpm2b(options.authPolicy ?? new Uint8Array()),
    symmetricBytes,
    schemeBytes,
  );
  let area: Uint8Array;
  if (isRsa) {
    const n = b(jwk.n);
    const e = b(jwk.e);
    const exponent = e.reduce((value, byte) => value * 256 + byte, 0);
    area = concat(head, u16(n.length * 8), u32(exponent === 65537 ? 0 : exponent), tpm2b(n));
  } else {
    const curveId = { 'P-256': 3, 'P-384': 4, 'P-521': 5 }[jwk.crv ?? ''] ?? 0;
    area = concat(head, u16(curveId), u16(TPM_ALG.NULL), tpm2b(b(jwk.x)), tpm2b(b(jwk.y)));
  }
  return tpm2b(area);
}

/** TPMT_SIGNATURE by a node:crypto private key: ECDSA (r, s) or RSASSA / RSAPSS. */
export function tpmSignature(
  privateKey: KeyObject,
  message: Uint8Array,
  scheme: 'ecdsa' | 'rsassa' | 'rsapss' = privateKey.asymmetricKeyType === 'rsa' ? 'rsassa' : 'ecdsa',
): Uint8Array {
  if (scheme === 'ecdsa') {
    const p1363 = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const half = p1363.length / 2;
    return concat(
      u16(TPM_ALG.ECDSA),
      u16(TPM_ALG.SHA256),
      tpm2b(p1363.subarray(0, half)),
      tpm2b(p1363.subarray(half)),
    );
  }
  const signature =
    scheme === 'rsassa'
      ? sign('sha256', message, privateKey)
      : sign('sha256', message, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
  return concat(
    u16(scheme === 'rsassa' ? TPM_ALG.RSASSA : TPM_ALG.RSAPSS),
    u16(TPM_ALG.SHA256),
    tpm2b(signature),
  );
}

export interface AttestOptions {
  readonly magic?: number;
  readonly type?: number;
  readonly extraData: Uint8Array;
  readonly clock?: bigint;
  readonly resetCount?: number;
  readonly restartCount?: number;
  readonly safe?: number;
  /** [hashAlg, pcrSelect bitmap] per bank. */
  readonly selection: readonly (readonly [number, Uint8Array])[];
  readonly pcrValues: readonly Uint8Array[];
}

/** A TPMS_ATTEST of a quote whose pcrDigest is SHA-256 over `pcrValues`. */
export function quoteAttest(options: AttestOptions): Uint8Array {
  const digest = createHash('sha256');
  for (const value of options.pcrValues) digest.update(value);
  return concat(
    u32(options.magic ?? 0xff544347),
    u16(options.type ?? 0x8018),
    tpm2b(concat(u16(TPM_ALG.SHA256), new Uint8Array(32))),
    tpm2b(options.extraData),
    u64(options.clock ?? 1000n),
    u32(options.resetCount ?? 1),
    u32(options.restartCount ?? 0),
    Uint8Array.of(options.safe ?? 1),
    u64(0x2019102300163636n),
    u32(options.selection.length),
    ...options.selection.map(([hash, bitmap]) => concat(u16(hash), Uint8Array.of(bitmap.length), bitmap)),
    tpm2b(digest.digest()),
  );
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** A copy with one bit flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const index = Math.floor(bit / 8) % out.length;
  out[index] = (out[index] ?? 0) ^ (1 << (bit % 8));
  return out;
}
