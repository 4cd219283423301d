import { constants, verify } from 'node:crypto';
import { QUOTE_LIMITS, QuoteError, unsupported } from './quote-error.ts';
import { algorithmHex, TPM_ALG, type TpmHashName, tpmCurve, tpmHash } from './tpm-algorithms.ts';
import type { TpmPublic } from './tpm-public.ts';
import { fixedLength, tpmPublicKeyObject } from './tpm-public-key.ts';
import { TpmReader } from './tpm-reader.ts';

/** A decoded TPMT_SIGNATURE (Part 2) of a scheme Palisade verifies. */
export type TpmSignature =
  | {
      readonly sigAlg: 'ecdsa';
      readonly hashAlg: number;
      readonly r: Uint8Array;
      readonly s: Uint8Array;
    }
  | {
      readonly sigAlg: 'rsassa' | 'rsapss';
      readonly hashAlg: number;
      /** The RSA signature, as long as the modulus. */
      readonly signature: Uint8Array;
    };

const SIG_ALG_IDS = { ecdsa: TPM_ALG.ECDSA, rsassa: TPM_ALG.RSASSA, rsapss: TPM_ALG.RSAPSS } as const;
// Part 2 TPMU_SIGNATURE: selectors that decode, but whose schemes Palisade does not verify.
const UNVERIFIED_SCHEMES = new Set<number>([TPM_ALG.ECDAA, TPM_ALG.SM2, TPM_ALG.ECSCHNORR, TPM_ALG.HMAC]);

/**
 * Decodes a TPMT_SIGNATURE: what `tpm2_quote -s` writes with the default
 * `-f tss` (not `-f plain`, which drops the algorithm and hash).
 *
 * @throws QuoteError QUOTE_MALFORMED, QUOTE_SIGNATURE_INVALID (TPM_ALG_NULL: unsigned)
 *   or QUOTE_UNSUPPORTED_ALGORITHM (ECDAA, SM2, EC-Schnorr, HMAC).
 */
export function parseTpmtSignature(bytes: Uint8Array): TpmSignature {
  const reader = new TpmReader(bytes, 'TPMT_SIGNATURE');
  if (bytes.length > QUOTE_LIMITS.maxSignatureBytes)
    throw reader.fail(`${bytes.length} bytes, limit ${QUOTE_LIMITS.maxSignatureBytes}`, 0);
  const sigAlg = reader.u16('sigAlg');
  if (sigAlg === TPM_ALG.NULL)
    throw new QuoteError(
      'QUOTE_SIGNATURE_INVALID',
      'TPMT_SIGNATURE: sigAlg is TPM_ALG_NULL, the quote is unsigned',
    );
  if (UNVERIFIED_SCHEMES.has(sigAlg))
    throw unsupported('TPMT_SIGNATURE', `sigAlg ${algorithmHex(sigAlg)} is not ECDSA, RSASSA or RSAPSS`);
  if (sigAlg === TPM_ALG.ECDSA) {
    const hashAlg = reader.u16('hash');
    // MAX_ECC_KEY_BYTES for P-521.
    const r = reader.sized('signatureR', 66);
    const s = reader.sized('signatureS', 66);
    reader.end();
    return { sigAlg: 'ecdsa', hashAlg, r, s };
  }
  if (sigAlg === TPM_ALG.RSASSA || sigAlg === TPM_ALG.RSAPSS) {
    const hashAlg = reader.u16('hash');
    const signature = reader.sized('sig', 512);
    reader.end();
    return { sigAlg: sigAlg === TPM_ALG.RSASSA ? 'rsassa' : 'rsapss', hashAlg, signature };
  }
  throw reader.fail(`sigAlg ${algorithmHex(sigAlg)} is not a TPMI_ALG_SIG_SCHEME`, 0);
}

/**
 * Verifies `signature` over `message` with a TPM key: the signature's scheme
 * must fit the key's type and, when the key fixes a scheme (a restricted
 * signing key always does: the TPM refuses to create one with TPM_ALG_NULL), be exactly that scheme and hash.
 *
 * @returns the signing hash, which is also the hash of a quote's pcrDigest.
 * @throws QuoteError QUOTE_SIGNATURE_INVALID, or QUOTE_UNSUPPORTED_ALGORITHM (SHA-1, unknown hash).
 */
export function verifyTpmSignature(
  key: TpmPublic,
  signature: TpmSignature,
  message: Uint8Array,
): TpmHashName {
  const hash = tpmHash(signature.hashAlg);
  // SHA-1 signatures are collision-forgeable (SHAttered); no AK Palisade accepts signs with it.
  if (hash === undefined || hash.name === 'sha1')
    throw unsupported('TPMT_SIGNATURE', `hash ${algorithmHex(signature.hashAlg)} is not SHA-256/384/512`);
  const expectedType = signature.sigAlg === 'ecdsa' ? 'ecc' : 'rsa';
  if (key.type !== expectedType)
    throw invalid(
      `a ${signature.sigAlg.toUpperCase()} signature cannot come from an ${key.type.toUpperCase()} key`,
    );
  const keyScheme = key.parameters.scheme;
  if (
    keyScheme !== null &&
    (keyScheme.scheme !== SIG_ALG_IDS[signature.sigAlg] || keyScheme.hashAlg !== signature.hashAlg)
  ) {
    throw invalid(
      `the key's scheme is ${algorithmHex(keyScheme.scheme)}/${algorithmHex(keyScheme.hashAlg ?? TPM_ALG.NULL)}, ` +
        `the signature's ${algorithmHex(SIG_ALG_IDS[signature.sigAlg])}/${algorithmHex(signature.hashAlg)}`,
    );
  }
  const publicKey = tpmPublicKeyObject(key);
  let valid: boolean;
  if (signature.sigAlg === 'ecdsa') {
    const curve = key.type === 'ecc' ? tpmCurve(key.parameters.curveId) : undefined;
    const size = curve?.size ?? 0;
    const r = fixedLength(signature.r, size);
    const s = fixedLength(signature.s, size);
    if (r === undefined || s === undefined)
      throw invalid(`r or s is longer than the ${size}-byte curve order`);
    valid = tryVerify(() =>
      verify(hash.name, message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s])),
    );
  } else {
    const modulusBytes = key.type === 'rsa' ? key.unique.modulus.length : 0;
    if (signature.signature.length !== modulusBytes)
      throw invalid(`RSA signature is ${signature.signature.length} bytes, the modulus ${modulusBytes}`);
    // RSAPSS: TPMs differ in the salt length they use (digest size or the maximum), so any length verifies.
    const padding =
      signature.sigAlg === 'rsassa'
        ? { padding: constants.RSA_PKCS1_PADDING }
        : { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO };
    valid = tryVerify(() => verify(hash.name, message, { key: publicKey, ...padding }, signature.signature));
  }
  if (!valid) throw invalid('the signature does not verify over the attest bytes with this key');
  return hash.name;
}

function tryVerify(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function invalid(message: string): QuoteError {
  return new QuoteError('QUOTE_SIGNATURE_INVALID', `TPMT_SIGNATURE: ${message}`);
}
