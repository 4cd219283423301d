import type {
  CryptoPolicy,
  HashAlgorithm,
  KeyCurve,
  KeyPolicy,
  TlsCipherSuite,
  TlsPolicy,
} from './crypto-policy.ts';
import {
  CRYPTO_LIMITS,
  HASH_ALGORITHMS,
  KEY_CURVE_BITS,
  KEY_CURVES,
  POST_QUANTUM_CHANNEL_GROUP,
  TLS_CIPHER_SUITES,
  TLS_GROUPS,
  TLS_SIGNATURE_ALGORITHMS,
  TLS_VERSIONS,
  TLS12_CIPHER_SUITES,
  TLS13_CIPHER_SUITES,
} from './crypto-policy.ts';
import type { Report } from './policy-input.ts';
import { arrayAt, booleanAt, integerAt, objectAt, oneOfAt, optionalMember } from './policy-input.ts';

export const CRYPTO_LIST = { minItems: 1, maxItems: 32, unique: true } as const;
const TLS13: ReadonlySet<string> = new Set(TLS13_CIPHER_SUITES);
const TLS12: ReadonlySet<string> = new Set(TLS12_CIPHER_SUITES);
const SUITES = TLS_CIPHER_SUITES as [TlsCipherSuite, ...TlsCipherSuite[]];

/** Parses a `crypto` document; problems are reported at pointers under `path`. */
export function parseCryptoPolicy(input: unknown, path: string, report: Report): CryptoPolicy {
  const doc = objectAt(input, path, ['tls', 'keys', 'hashes', 'fipsProviderRequired', 'updates'], report);
  const hashes = objectAt(doc.value.hashes, `${path}/hashes`, ['allowed'], doc.report);
  const updates = objectAt(doc.value.updates, `${path}/updates`, ['requireHybridSignatures'], doc.report);
  return {
    tls: parseTls(doc.value.tls, `${path}/tls`, doc.report),
    keys: parseKeys(doc.value.keys, `${path}/keys`, doc.report),
    hashes: {
      allowed: arrayAt(
        hashes.value.allowed,
        `${path}/hashes/allowed`,
        CRYPTO_LIST,
        (value, at): HashAlgorithm => oneOfAt(value, at, HASH_ALGORITHMS, hashes.report),
        hashes.report,
      ),
    },
    fipsProviderRequired: booleanAt(
      doc.value.fipsProviderRequired,
      `${path}/fipsProviderRequired`,
      doc.report,
    ),
    updates: {
      requireHybridSignatures: booleanAt(
        updates.value.requireHybridSignatures,
        `${path}/updates/requireHybridSignatures`,
        updates.report,
      ),
    },
  };
}

function parseTls(input: unknown, path: string, report: Report): TlsPolicy {
  const tls = objectAt(
    input,
    path,
    ['minVersion', 'maxVersion', 'cipherSuites', 'groups', 'signatureAlgorithms', 'requirePostQuantumGroup'],
    report,
  );
  const r = tls.report;
  const { value } = tls;
  const minVersion = oneOfAt(value.minVersion, `${path}/minVersion`, TLS_VERSIONS, r);
  const maxVersion =
    value.maxVersion === undefined
      ? undefined
      : oneOfAt(value.maxVersion, `${path}/maxVersion`, TLS_VERSIONS, r);
  if (value.minVersion === 'TLSv1.3' && maxVersion === 'TLSv1.2')
    r(`${path}/maxVersion`, 'must not be below minVersion');
  const cipherSuites = arrayAt(
    value.cipherSuites,
    `${path}/cipherSuites`,
    CRYPTO_LIST,
    (item, at) => oneOfAt(item, at, SUITES, r),
    r,
  );
  // A version that is enabled but has no suite cannot complete a handshake.
  if (Array.isArray(value.cipherSuites)) {
    if (maxVersion !== 'TLSv1.2' && !value.cipherSuites.some((suite) => TLS13.has(suite)))
      r(`${path}/cipherSuites`, 'must name a TLS 1.3 suite: TLS 1.3 is enabled');
    if (value.minVersion === 'TLSv1.2' && !value.cipherSuites.some((suite) => TLS12.has(suite)))
      r(`${path}/cipherSuites`, 'must name a TLS 1.2 suite: TLS 1.2 is enabled');
  }
  const groups = arrayAt(
    value.groups,
    `${path}/groups`,
    CRYPTO_LIST,
    (item, at) => oneOfAt(item, at, TLS_GROUPS, r),
    r,
  );
  const requirePostQuantumGroup = booleanAt(
    value.requirePostQuantumGroup,
    `${path}/requirePostQuantumGroup`,
    r,
  );
  if (value.requirePostQuantumGroup === true) {
    if (Array.isArray(value.groups) && !value.groups.includes(POST_QUANTUM_CHANNEL_GROUP))
      r(`${path}/groups`, `must include ${POST_QUANTUM_CHANNEL_GROUP}: requirePostQuantumGroup is set`);
    if (value.maxVersion === 'TLSv1.2')
      r(`${path}/maxVersion`, 'must allow TLSv1.3: post-quantum groups need TLS 1.3');
  }
  return {
    minVersion,
    ...optionalMember('maxVersion', maxVersion),
    cipherSuites,
    groups,
    signatureAlgorithms: arrayAt(
      value.signatureAlgorithms,
      `${path}/signatureAlgorithms`,
      CRYPTO_LIST,
      (item, at) => oneOfAt(item, at, TLS_SIGNATURE_ALGORITHMS, r),
      r,
    ),
    requirePostQuantumGroup,
  };
}

function parseKeys(input: unknown, path: string, report: Report): KeyPolicy {
  const keys = objectAt(input, path, ['minRsaBits', 'minEcBits', 'allowedCurves'], report);
  const r = keys.report;
  const minRsaBits = integerAt(keys.value.minRsaBits, `${path}/minRsaBits`, CRYPTO_LIMITS.minRsaBits, r);
  const minEcBits = integerAt(keys.value.minEcBits, `${path}/minEcBits`, CRYPTO_LIMITS.minEcBits, r);
  const allowedCurves = arrayAt(
    keys.value.allowedCurves,
    `${path}/allowedCurves`,
    { minItems: 1, maxItems: KEY_CURVES.length, unique: true },
    (item, at): KeyCurve => oneOfAt(item, at, KEY_CURVES, r),
    r,
  );
  const largest = Math.max(...allowedCurves.map((curve) => KEY_CURVE_BITS[curve]));
  if (Array.isArray(keys.value.allowedCurves) && largest < minEcBits)
    r(`${path}/allowedCurves`, `must name a curve of at least minEcBits (${minEcBits}) bits`);
  return {
    minRsaBits,
    minEcBits,
    allowedCurves,
  };
}
