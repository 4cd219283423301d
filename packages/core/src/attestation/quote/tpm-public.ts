import { createHash } from 'node:crypto';
import { malformed, QUOTE_LIMITS, unsupported } from './quote-error.ts';
import { algorithmHex, TPM_ALG, type TpmHashName, tpmHash } from './tpm-algorithms.ts';
import { TpmReader } from './tpm-reader.ts';

/** Part 2 TPMA_OBJECT, one flag per defined bit. */
export interface TpmObjectAttributes {
  readonly fixedTPM: boolean;
  readonly stClear: boolean;
  readonly fixedParent: boolean;
  readonly sensitiveDataOrigin: boolean;
  readonly userWithAuth: boolean;
  readonly adminWithPolicy: boolean;
  readonly noDA: boolean;
  readonly encryptedDuplication: boolean;
  readonly restricted: boolean;
  readonly decrypt: boolean;
  /** `sign` and `encrypt` are the same bit (SET for signing keys, and for encrypting keyed-hash objects). */
  readonly sign: boolean;
  readonly x509sign: boolean;
}

const ATTRIBUTE_BITS: Readonly<Record<keyof TpmObjectAttributes, number>> = {
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
const DEFINED_BITS = Object.values(ATTRIBUTE_BITS).reduce((mask, bit) => mask | (1 << bit), 0) >>> 0;

/** TPMT_SYM_DEF_OBJECT; null is TPM_ALG_NULL (a signing key has no symmetric part). */
export type TpmSymmetricDefinition = {
  readonly algorithm: number;
  readonly keyBits: number;
  readonly mode: number;
} | null;

/** TPMT_RSA_SCHEME, TPMT_ECC_SCHEME or TPMT_KDF_SCHEME; null is TPM_ALG_NULL (chosen at use). */
export type TpmScheme = {
  readonly scheme: number;
  /** Absent for schemes without a hash (RSAES). */
  readonly hashAlg?: number;
  /** ECDAA only. */
  readonly count?: number;
} | null;

interface TpmPublicArea {
  readonly nameAlg: number;
  readonly objectAttributes: TpmObjectAttributes;
  readonly authPolicy: Uint8Array;
  /** The TPMT_PUBLIC bytes as received: the input of the Name (Part 1, Names). */
  readonly publicArea: Uint8Array;
}

export interface TpmRsaPublic extends TpmPublicArea {
  readonly type: 'rsa';
  readonly parameters: {
    readonly symmetric: TpmSymmetricDefinition;
    readonly scheme: TpmScheme;
    readonly keyBits: number;
    /** Part 2 TPMS_RSA_PARMS: zero in the structure means the default 2^16 + 1, shown here as 65537. */
    readonly exponent: number;
  };
  readonly unique: { readonly modulus: Uint8Array };
}

export interface TpmEccPublic extends TpmPublicArea {
  readonly type: 'ecc';
  readonly parameters: {
    readonly symmetric: TpmSymmetricDefinition;
    readonly scheme: TpmScheme;
    readonly curveId: number;
    readonly kdf: TpmScheme;
  };
  readonly unique: { readonly x: Uint8Array; readonly y: Uint8Array };
}

/** A decoded TPMT_PUBLIC of an asymmetric key (RSA or ECC: the only kinds an AK or an EK can be). */
export type TpmPublic = TpmRsaPublic | TpmEccPublic;

// Part 2 TPMU_ASYM_SCHEME and TPMU_KDF_SCHEME: which selectors carry a hash.
const RSA_SCHEMES_WITH_HASH = new Set<number>([TPM_ALG.RSASSA, TPM_ALG.RSAPSS, TPM_ALG.OAEP]);
const ECC_SCHEMES_WITH_HASH = new Set<number>([
  TPM_ALG.ECDSA,
  TPM_ALG.ECDH,
  TPM_ALG.SM2,
  TPM_ALG.ECSCHNORR,
  TPM_ALG.ECMQV,
]);
const KDF_SCHEMES = new Set<number>([0x0007, TPM_ALG.KDF1_SP800_56A, TPM_ALG.KDF2, TPM_ALG.KDF1_SP800_108]);
// TPMI_ALG_SYM_OBJECT: AES, SM4, CAMELLIA.
const SYM_OBJECT_ALGORITHMS = new Set<number>([TPM_ALG.AES, 0x0013, 0x0026]);

/**
 * Decodes a TPM2B_PUBLIC (what `tpm2_createak -u`, `tpm2_createek -u` and
 * `tpm2_readpublic -o` write) into a TpmPublic.
 *
 * @throws QuoteError QUOTE_MALFORMED or QUOTE_UNSUPPORTED_ALGORITHM (not RSA/ECC, unknown nameAlg).
 */
export function parseTpm2bPublic(bytes: Uint8Array): TpmPublic {
  if (bytes.length > QUOTE_LIMITS.maxPublicBytes + 2)
    throw malformed('TPM2B_PUBLIC', `${bytes.length} bytes, limit ${QUOTE_LIMITS.maxPublicBytes + 2}`);
  const outer = new TpmReader(bytes, 'TPM2B_PUBLIC');
  const area = outer.sized('publicArea', QUOTE_LIMITS.maxPublicBytes);
  outer.end();
  return parseTpmtPublic(area);
}

/** Decodes a bare TPMT_PUBLIC (Part 2). */
export function parseTpmtPublic(area: Uint8Array): TpmPublic {
  const reader = new TpmReader(area, 'TPMT_PUBLIC');
  const type = reader.u16('type');
  if (type !== TPM_ALG.RSA && type !== TPM_ALG.ECC)
    throw unsupported('TPMT_PUBLIC', `type ${algorithmHex(type)} is not an RSA or ECC key`);
  const nameAlg = reader.u16('nameAlg');
  if (tpmHash(nameAlg) === undefined)
    throw unsupported('TPMT_PUBLIC', `nameAlg ${algorithmHex(nameAlg)} is not SHA-1/256/384/512`);
  const attributesAt = reader.offset;
  const bits = reader.u32('objectAttributes');
  // Part 2 TPMA_OBJECT: reserved bits SHALL be clear; a TPM never emits them.
  if ((bits & ~DEFINED_BITS) >>> 0 !== 0)
    throw reader.fail(`objectAttributes 0x${bits.toString(16)} sets reserved bits`, attributesAt);
  const objectAttributes = decodeAttributes(bits);
  const authPolicy = reader.sized('authPolicy', QUOTE_LIMITS.maxDigestBytes);
  const symmetric = readSymmetric(reader);
  const common = { nameAlg, objectAttributes, authPolicy, publicArea: area.slice() };
  if (type === TPM_ALG.RSA) {
    const scheme = readScheme(reader, 'scheme', RSA_SCHEMES_WITH_HASH, new Set([TPM_ALG.RSAES]));
    const keyBitsAt = reader.offset;
    const keyBits = reader.u16('keyBits');
    if (keyBits < 1024 || keyBits > 4096 || keyBits % 8 !== 0)
      throw reader.fail(`RSA keyBits ${keyBits} is not 1024…4096`, keyBitsAt);
    const rawExponent = reader.u32('exponent');
    const modulus = reader.sized('unique.rsa', 512);
    if (modulus.length !== keyBits / 8)
      throw reader.fail(`unique.rsa is ${modulus.length} bytes, keyBits says ${keyBits / 8}`);
    reader.end();
    const exponent = rawExponent === 0 ? 65537 : rawExponent;
    return {
      ...common,
      type: 'rsa',
      parameters: { symmetric, scheme, keyBits, exponent },
      unique: { modulus },
    };
  }
  const scheme = readScheme(reader, 'scheme', ECC_SCHEMES_WITH_HASH, new Set(), TPM_ALG.ECDAA);
  const curveId = reader.u16('curveID');
  const kdf = readScheme(reader, 'kdf', KDF_SCHEMES, new Set());
  const x = reader.sized('unique.ecc.x', 66);
  const y = reader.sized('unique.ecc.y', 66);
  reader.end();
  return { ...common, type: 'ecc', parameters: { symmetric, scheme, curveId, kdf }, unique: { x, y } };
}

/**
 * The object's Name (Part 1, Names): nameAlg || H_nameAlg(TPMT_PUBLIC). It is what
 * TPM2_MakeCredential binds the credential to and what a quote's
 * qualifiedSigner is built from.
 */
export function tpmName(key: TpmPublic): Uint8Array {
  const digest = createHash(nameHash(key)).update(key.publicArea).digest();
  const name = new Uint8Array(2 + digest.length);
  new DataView(name.buffer).setUint16(0, key.nameAlg);
  name.set(digest, 2);
  return name;
}

/** The key's nameAlg as a hash name (a decoded key always has one Palisade knows). */
export function nameHash(key: TpmPublic): TpmHashName {
  const hash = tpmHash(key.nameAlg);
  if (hash === undefined) throw unsupported('TPMT_PUBLIC', `nameAlg ${algorithmHex(key.nameAlg)}`);
  return hash.name;
}

function decodeAttributes(bits: number): TpmObjectAttributes {
  const flag = (name: keyof TpmObjectAttributes): boolean => ((bits >>> ATTRIBUTE_BITS[name]) & 1) === 1;
  return {
    fixedTPM: flag('fixedTPM'),
    stClear: flag('stClear'),
    fixedParent: flag('fixedParent'),
    sensitiveDataOrigin: flag('sensitiveDataOrigin'),
    userWithAuth: flag('userWithAuth'),
    adminWithPolicy: flag('adminWithPolicy'),
    noDA: flag('noDA'),
    encryptedDuplication: flag('encryptedDuplication'),
    restricted: flag('restricted'),
    decrypt: flag('decrypt'),
    sign: flag('sign'),
    x509sign: flag('x509sign'),
  };
}

function readSymmetric(reader: TpmReader): TpmSymmetricDefinition {
  const at = reader.offset;
  const algorithm = reader.u16('symmetric.algorithm');
  if (algorithm === TPM_ALG.NULL) return null;
  if (!SYM_OBJECT_ALGORITHMS.has(algorithm))
    throw reader.fail(`symmetric.algorithm ${algorithmHex(algorithm)} is not a TPMI_ALG_SYM_OBJECT`, at);
  return { algorithm, keyBits: reader.u16('symmetric.keyBits'), mode: reader.u16('symmetric.mode') };
}

/** A scheme selector, then its details: a hash for `withHash`, nothing for `withoutHash`, hash + count for ECDAA. */
function readScheme(
  reader: TpmReader,
  field: string,
  withHash: ReadonlySet<number>,
  withoutHash: ReadonlySet<number>,
  daa?: number,
): TpmScheme {
  const at = reader.offset;
  const scheme = reader.u16(field);
  if (scheme === TPM_ALG.NULL) return null;
  if (withoutHash.has(scheme)) return { scheme };
  if (withHash.has(scheme)) return { scheme, hashAlg: reader.u16(`${field}.hashAlg`) };
  if (scheme === daa)
    return { scheme, hashAlg: reader.u16(`${field}.hashAlg`), count: reader.u16(`${field}.count`) };
  throw reader.fail(`${field} ${algorithmHex(scheme)} is not allowed here`, at);
}
