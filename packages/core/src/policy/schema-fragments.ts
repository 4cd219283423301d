/**
 * Builders for the JSON Schema (draft 2020-12) fragments the policy schemas
 * repeat. They only shorten the schema source: the published schemas are
 * plain JSON data (POLICY_SCHEMAS), and every pattern and limit comes from
 * the same constants the parsers use.
 */
import { PATTERN_SOURCES, type PatternName } from './policy-patterns.ts';

export type JsonSchema = Readonly<Record<string, unknown>>;

/** An object with exactly these members: unknown members are errors, as in the parsers. */
export function objectSchema(
  required: Readonly<Record<string, JsonSchema>>,
  optional: Readonly<Record<string, JsonSchema>> = {},
  extra: JsonSchema = {},
): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(required),
    properties: { ...required, ...optional },
    ...extra,
  };
}

export function stringSchema(pattern: PatternName, maxLength: number, minLength = 1): JsonSchema {
  return { type: 'string', minLength, maxLength, pattern: PATTERN_SOURCES[pattern] };
}

export function integerSchema(range: { readonly min: number; readonly max: number }): JsonSchema {
  return { type: 'integer', minimum: range.min, maximum: range.max };
}

export function enumSchema(values: readonly string[]): JsonSchema {
  return { type: 'string', enum: [...values] };
}

export function arraySchema(
  items: JsonSchema,
  rule: { readonly minItems?: number; readonly maxItems: number; readonly unique?: boolean },
): JsonSchema {
  return {
    type: 'array',
    items,
    ...(rule.minItems ? { minItems: rule.minItems } : {}),
    maxItems: rule.maxItems,
    ...(rule.unique ? { uniqueItems: true } : {}),
  };
}

export const BOOLEAN_SCHEMA: JsonSchema = { type: 'boolean' };

/** The `$schema`/`$id` header of a published policy schema. */
export function policySchemaHeader(kind: string, title: string, description: string): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://palisade.dev/schemas/policy/${kind}.json`,
    title,
    description,
  };
}

/** JSON Schema `if`/`then`/`else` (draft 2020-12 §10.2.2): built in one place, as `then` reads like a thenable to lint. */
export function conditional(
  condition: JsonSchema,
  consequence?: JsonSchema,
  alternative?: JsonSchema,
): JsonSchema {
  return {
    if: condition,
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword, not a thenable
    ...(consequence === undefined ? {} : { then: consequence }),
    ...(alternative === undefined ? {} : { else: alternative }),
  };
}
