/**
 * The `crypto` policy kind (CR-3, CR-4, SC-1): which protocol versions, TLS
 * suites, key-exchange groups, signature schemes, key sizes and hashes the
 * applications of a device may use, switchable in the field without a
 * reinstall. The agent renders it for OpenSSL (cryptoPolicyToOpenSslConf) and
 * for its own node:tls channel (cryptoPolicyToNodeTls), and reports violations.
 */
export interface CryptoPolicy {
  readonly tls: TlsPolicy;
  readonly keys: KeyPolicy;
  readonly hashes: { readonly allowed: readonly HashAlgorithm[] };
  /** Load OpenSSL's FIPS provider and refuse to apply the policy if it is unavailable. */
  readonly fipsProviderRequired: boolean;
  readonly updates: {
    /** Accept an update only if it carries both a classical and a post-quantum (ML-DSA) signature (CR-3). */
    readonly requireHybridSignatures: boolean;
  };
}

export interface TlsPolicy {
  readonly minVersion: TlsVersion;
  /** Absent: the highest the library supports (TLSv1.3). */
  readonly maxVersion?: TlsVersion;
  /**
   * TLS 1.3 suites by their IANA names (OpenSSL uses the same) and TLS 1.2
   * suites by their OpenSSL names, in order of preference; one list, split by
   * the renderers. At least one suite for every enabled version.
   */
  readonly cipherSuites: readonly TlsCipherSuite[];
  /** Key-exchange groups in order of preference (OpenSSL names). */
  readonly groups: readonly TlsGroup[];
  /** TLS SignatureScheme names (RFC 8446 §4.2.3, OpenSSL spelling) in order of preference. */
  readonly signatureAlgorithms: readonly TlsSignatureAlgorithm[];
  /**
   * The device channel must negotiate the hybrid X25519MLKEM768 group
   * (draft-ietf-tls-ecdhe-mlkem), so it needs TLS 1.3 and the group listed.
   */
  readonly requirePostQuantumGroup: boolean;
}

export interface KeyPolicy {
  /** Smallest RSA modulus accepted for certificates and keys (≥ 2048, NIST SP 800-131A). */
  readonly minRsaBits: number;
  /** Smallest elliptic-curve size; a curve in allowedCurves smaller than this is not allowed either. */
  readonly minEcBits: number;
  readonly allowedCurves: readonly KeyCurve[];
}

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const satisfies readonly TlsVersion[];

/** RFC 8446 §B.4 suites (the CCM ones are for constrained devices). */
export const TLS13_CIPHER_SUITES = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_AES_128_GCM_SHA256',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_CCM_SHA256',
  'TLS_AES_128_CCM_8_SHA256',
] as const;

/**
 * TLS 1.2 suites with forward secrecy (ECDHE or DHE key exchange), AEAD or
 * SHA-2 MACs, by their OpenSSL names: no static RSA, no SHA-1, no CBC with SHA-1.
 */
export const TLS12_CIPHER_SUITES = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES256-CCM',
  'ECDHE-ECDSA-AES128-CCM',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
] as const;

export type TlsCipherSuite = (typeof TLS13_CIPHER_SUITES)[number] | (typeof TLS12_CIPHER_SUITES)[number];
export const TLS_CIPHER_SUITES: readonly TlsCipherSuite[] = [...TLS13_CIPHER_SUITES, ...TLS12_CIPHER_SUITES];

/** The hybrid group the device channel negotiates when requirePostQuantumGroup is set. */
export const POST_QUANTUM_CHANNEL_GROUP = 'X25519MLKEM768';

/** OpenSSL 3.5 group names: hybrid and pure ML-KEM (FIPS 203), ECDH, RFC 7919 FFDHE. */
export const TLS_GROUPS = [
  'X25519MLKEM768',
  'SecP256r1MLKEM768',
  'SecP384r1MLKEM1024',
  'MLKEM768',
  'MLKEM1024',
  'X25519',
  'X448',
  'P-256',
  'P-384',
  'P-521',
  'ffdhe2048',
  'ffdhe3072',
  'ffdhe4096',
] as const;
export type TlsGroup = (typeof TLS_GROUPS)[number];

/** RFC 8446 §4.2.3 SignatureScheme names, plus the ML-DSA schemes (FIPS 204) OpenSSL 3.5 offers. */
export const TLS_SIGNATURE_ALGORITHMS = [
  'mldsa65',
  'mldsa87',
  'mldsa44',
  'ecdsa_secp256r1_sha256',
  'ecdsa_secp384r1_sha384',
  'ecdsa_secp521r1_sha512',
  'ed25519',
  'ed448',
  'rsa_pss_rsae_sha256',
  'rsa_pss_rsae_sha384',
  'rsa_pss_rsae_sha512',
  'rsa_pss_pss_sha256',
  'rsa_pss_pss_sha384',
  'rsa_pss_pss_sha512',
  'rsa_pkcs1_sha256',
  'rsa_pkcs1_sha384',
  'rsa_pkcs1_sha512',
] as const;
export type TlsSignatureAlgorithm = (typeof TLS_SIGNATURE_ALGORITHMS)[number];

/** Curves a key or certificate may use, with their size in bits for minEcBits. */
export const KEY_CURVE_BITS = {
  'P-256': 256,
  'P-384': 384,
  'P-521': 521,
  Ed25519: 256,
  Ed448: 448,
} as const;
export type KeyCurve = keyof typeof KEY_CURVE_BITS;
export const KEY_CURVES = Object.keys(KEY_CURVE_BITS) as [KeyCurve, ...KeyCurve[]];

export const HASH_ALGORITHMS = ['SHA-256', 'SHA-384', 'SHA-512', 'SHA3-256', 'SHA3-384', 'SHA3-512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

export const CRYPTO_LIMITS = {
  minRsaBits: { min: 2048, max: 16384 },
  minEcBits: { min: 256, max: 521 },
} as const;
