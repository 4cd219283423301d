import { MONITORING_LIMITS, PROTECTION_RESPONSES } from './monitoring-policy.ts';
import { PORT_RANGE } from './parse-firewall-policy.ts';
import { TEXT_LIMITS } from './policy-patterns.ts';
import type { JsonSchema } from './schema-fragments.ts';
import {
  arraySchema,
  BOOLEAN_SCHEMA,
  conditional,
  enumSchema,
  integerSchema,
  objectSchema,
  policySchemaHeader,
  stringSchema,
} from './schema-fragments.ts';

const ABSOLUTE_PATH = stringSchema('absolutePath', TEXT_LIMITS.path);

const protectedPath = objectSchema(
  {
    path: ABSOLUTE_PATH,
    class: stringSchema('classId', 32),
    response: enumSchema(PROTECTION_RESPONSES),
    recursive: BOOLEAN_SCHEMA,
  },
  {
    unit: stringSchema('serviceUnit', TEXT_LIMITS.serviceUnit),
    exclude: arraySchema(stringSchema('text', TEXT_LIMITS.glob), {
      minItems: 1,
      maxItems: MONITORING_LIMITS.excludes,
      unique: true,
    }),
  },
  conditional(
    { properties: { response: { const: 'stop' } }, required: ['response'] },
    { required: ['unit'] },
    { not: { required: ['unit'] } },
  ),
);

export const MONITORING_POLICY_SCHEMA: JsonSchema = {
  ...policySchemaHeader(
    'monitoring',
    'Palisade monitoring policy',
    'A risk-monitoring profile: protected paths and responses, scan intervals, crypto inventory scan (SI-1, MO-1, MO-2).',
  ),
  ...objectSchema({
    protectedPaths: {
      ...arraySchema(protectedPath, { maxItems: MONITORING_LIMITS.protectedPaths }),
      $comment: 'each path at most once: checked by the parser (uniqueItems compares whole entries)',
    },
    scanIntervalSeconds: integerSchema(MONITORING_LIMITS.scanIntervalSeconds),
    fullVerifyIntervalSeconds: integerSchema(MONITORING_LIMITS.fullVerifyIntervalSeconds),
    cryptoScan: objectSchema({
      intervalSeconds: integerSchema(MONITORING_LIMITS.cryptoScanIntervalSeconds),
      certificateDirs: arraySchema(ABSOLUTE_PATH, {
        maxItems: MONITORING_LIMITS.certificateDirs,
        unique: true,
      }),
      tlsPorts: {
        oneOf: [
          { const: 'listening' },
          arraySchema(integerSchema(PORT_RANGE), { maxItems: MONITORING_LIMITS.tlsPorts, unique: true }),
        ],
      },
      expiryWarningDays: integerSchema(MONITORING_LIMITS.expiryWarningDays),
    }),
  }),
};
