import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { malformed, unsupported } from './quote-error.ts';
import { tpmCurve } from './tpm-algorithms.ts';
import type { TpmEccPublic, TpmPublic } from './tpm-public.ts';

/** RSA keys below this are refused for AKs and EKs (NIST SP 800-131A: RSA-1024 is disallowed). */
const MIN_RSA_BITS = 2048;

/**
 * The node:crypto public key of a TPM key, built through JWK (RFC 7518 §6.2,
 * §6.3) so that OpenSSL, not Palisade, checks the modulus and that the ECC
 * point lies on the curve.
 *
 * @throws QuoteError QUOTE_UNSUPPORTED_ALGORITHM (curve other than P-256/384/521,
 *   RSA under 2048 bits) or QUOTE_MALFORMED (OpenSSL refuses the key).
 */
export function tpmPublicKeyObject(key: TpmPublic): KeyObject {
  const jwk =
    key.type === 'rsa'
      ? rsaJwk(key.unique.modulus, key.parameters.keyBits, key.parameters.exponent)
      : eccJwk(key);
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw malformed(
      'TPMT_PUBLIC',
      `unique is not a valid ${key.type === 'rsa' ? 'RSA public key' : 'point on the curve'}`,
    );
  }
}

function rsaJwk(modulus: Uint8Array, keyBits: number, exponent: number): JsonWebKey {
  if (keyBits < MIN_RSA_BITS)
    throw unsupported('TPMT_PUBLIC', `RSA-${keyBits} is below ${MIN_RSA_BITS} bits`);
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, exponent);
  const firstNonZero = e.findIndex((byte) => byte !== 0);
  return { kty: 'RSA', n: base64url(modulus), e: base64url(e.subarray(firstNonZero < 0 ? 3 : firstNonZero)) };
}

function eccJwk(key: TpmEccPublic): JsonWebKey {
  const curve = tpmCurve(key.parameters.curveId);
  if (curve === undefined)
    throw unsupported(
      'TPMT_PUBLIC',
      `ECC curve 0x${key.parameters.curveId.toString(16)} is not P-256/384/521`,
    );
  const x = fixedLength(key.unique.x, curve.size);
  const y = fixedLength(key.unique.y, curve.size);
  if (x === undefined || y === undefined)
    throw malformed(
      'TPMT_PUBLIC',
      `unique.ecc is longer than the ${curve.size}-byte coordinates of ${curve.name}`,
    );
  return { kty: 'EC', crv: curve.name, x: base64url(x), y: base64url(y) };
}

/**
 * A big-endian integer left-padded to `size` bytes, or undefined if it does
 * not fit: a TPM may drop leading zero bytes of a TPM2B_ECC_PARAMETER, while
 * JWK (RFC 7518 §6.2.1.2) and IEEE P1363 signatures need the full length.
 */
export function fixedLength(value: Uint8Array, size: number): Uint8Array | undefined {
  let start = 0;
  while (start < value.length - size && value[start] === 0) start += 1;
  const trimmed = value.subarray(start);
  if (trimmed.length > size) return undefined;
  const out = new Uint8Array(size);
  out.set(trimmed, size - trimmed.length);
  return out;
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
