import { ATTESTATION_FAILURE_RESPONSES, ATTESTATION_LIMITS } from './attestation-policy.ts';
import type { JsonSchema } from './schema-fragments.ts';
import {
  arraySchema,
  BOOLEAN_SCHEMA,
  enumSchema,
  integerSchema,
  objectSchema,
  policySchemaHeader,
} from './schema-fragments.ts';

export const ATTESTATION_POLICY_SCHEMA: JsonSchema = {
  ...policySchemaHeader(
    'attestation',
    'Palisade attestation policy',
    'Which PCRs the TPM quotes, how often, how fresh a verdict must be, and what a failure triggers (CM-2, SB-1, SB-2).',
  ),
  ...objectSchema({
    pcrSelection: objectSchema({
      sha256: {
        ...arraySchema(integerSchema(ATTESTATION_LIMITS.pcr), {
          minItems: 1,
          maxItems: ATTESTATION_LIMITS.pcr.max + 1,
          unique: true,
        }),
        $comment: 'any order: parsers sort the indices',
      },
    }),
    intervalSeconds: integerSchema(ATTESTATION_LIMITS.intervalSeconds),
    maxAgeSeconds: integerSchema(ATTESTATION_LIMITS.maxAgeSeconds),
    onFailure: enumSchema(ATTESTATION_FAILURE_RESPONSES),
    requireSecureBoot: BOOLEAN_SCHEMA,
    includeImaLog: BOOLEAN_SCHEMA,
  }),
};
