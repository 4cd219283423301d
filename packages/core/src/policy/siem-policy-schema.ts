import { PATTERN_SOURCES, TEXT_LIMITS } from './policy-patterns.ts';
import type { JsonSchema } from './schema-fragments.ts';
import { arraySchema, integerSchema, objectSchema, policySchemaHeader } from './schema-fragments.ts';
import { SIEM_LIMITS } from './siem-policy.ts';

const TYPE_FILTERS = arraySchema(
  {
    type: 'string',
    minLength: 1,
    maxLength: TEXT_LIMITS.eventTypeFilter,
    pattern: PATTERN_SOURCES.eventTypeFilter,
  },
  { minItems: 1, maxItems: SIEM_LIMITS.typeFilters, unique: true },
);

export const SIEM_POLICY_SCHEMA: JsonSchema = {
  ...policySchemaHeader(
    'siem',
    'Palisade SIEM policy',
    'Which device events are forwarded, and the detection rules evaluated on the device (SI-2, SI-4).',
  ),
  ...objectSchema({
    forward: objectSchema(
      { minSeverity: integerSchema({ min: 0, max: 10 }) },
      { includeTypes: TYPE_FILTERS, excludeTypes: TYPE_FILTERS },
    ),
    rules: arraySchema(
      {
        type: 'object',
        $comment:
          'a detection rule document (docs/detection-rules.md), checked by parseRuleDocument: it must be evaluable on a device and its id unique in the policy',
      },
      { maxItems: SIEM_LIMITS.rules },
    ),
  }),
};
