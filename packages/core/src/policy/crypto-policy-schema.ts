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
import { CRYPTO_LIST } from './parse-crypto-policy.ts';
import type { JsonSchema } from './schema-fragments.ts';
import {
  arraySchema,
  BOOLEAN_SCHEMA,
  conditional,
  enumSchema,
  integerSchema,
  objectSchema,
  policySchemaHeader,
} from './schema-fragments.ts';

const LIST = CRYPTO_LIST;
const VERSION = enumSchema(TLS_VERSIONS);
const present = (member: string, schema: JsonSchema): JsonSchema => ({
  properties: { [member]: schema },
  required: [member],
});

const tls = objectSchema(
  {
    minVersion: VERSION,
    cipherSuites: arraySchema(enumSchema(TLS_CIPHER_SUITES), LIST),
    groups: arraySchema(enumSchema(TLS_GROUPS), LIST),
    signatureAlgorithms: arraySchema(enumSchema(TLS_SIGNATURE_ALGORITHMS), LIST),
    requirePostQuantumGroup: BOOLEAN_SCHEMA,
  },
  { maxVersion: VERSION },
  {
    $comment:
      'maxVersion >= minVersion; every enabled version needs a suite; a required post-quantum group needs TLS 1.3',
    allOf: [
      conditional(present('minVersion', { const: 'TLSv1.3' }), {
        properties: { maxVersion: { const: 'TLSv1.3' } },
      }),
      conditional(present('maxVersion', { const: 'TLSv1.2' }), undefined, {
        properties: { cipherSuites: { type: 'array', contains: { enum: [...TLS13_CIPHER_SUITES] } } },
      }),
      conditional(present('minVersion', { const: 'TLSv1.2' }), {
        properties: { cipherSuites: { type: 'array', contains: { enum: [...TLS12_CIPHER_SUITES] } } },
      }),
      conditional(present('requirePostQuantumGroup', { const: true }), {
        properties: {
          groups: { type: 'array', contains: { const: POST_QUANTUM_CHANNEL_GROUP } },
          maxVersion: { const: 'TLSv1.3' },
        },
      }),
    ],
  },
);

// allowedCurves must hold a curve of at least minEcBits bits: one rule per
// step between curve sizes (257 needs P-384 or more, 385 Ed448 or more, …).
const curveSizes = [...new Set(Object.values(KEY_CURVE_BITS))].sort((a, b) => a - b);
const curveSteps = curveSizes.slice(0, -1).map((size) =>
  conditional(present('minEcBits', { type: 'integer', minimum: size + 1 }), {
    properties: {
      allowedCurves: {
        type: 'array',
        contains: { enum: KEY_CURVES.filter((curve) => KEY_CURVE_BITS[curve] > size) },
      },
    },
  }),
);

const keys = objectSchema(
  {
    minRsaBits: integerSchema(CRYPTO_LIMITS.minRsaBits),
    minEcBits: integerSchema(CRYPTO_LIMITS.minEcBits),
    allowedCurves: arraySchema(enumSchema(KEY_CURVES), {
      minItems: 1,
      maxItems: KEY_CURVES.length,
      unique: true,
    }),
  },
  {},
  { allOf: curveSteps },
);

export const CRYPTO_POLICY_SCHEMA: JsonSchema = {
  ...policySchemaHeader(
    'crypto',
    'Palisade crypto policy',
    'TLS versions, suites, groups and signature schemes, key sizes, hashes and update signatures a device may use (CR-3, CR-4, SC-1).',
  ),
  ...objectSchema({
    tls,
    keys,
    hashes: objectSchema({ allowed: arraySchema(enumSchema(HASH_ALGORITHMS), LIST) }),
    fipsProviderRequired: BOOLEAN_SCHEMA,
    updates: objectSchema({ requireHybridSignatures: BOOLEAN_SCHEMA }),
  }),
};
