import { CONFIG_BASE64_MAX_LENGTH, CONFIG_LIMITS } from './config-policy.ts';
import { PATTERN_SOURCES, TEXT_LIMITS } from './policy-patterns.ts';
import type { JsonSchema } from './schema-fragments.ts';
import { arraySchema, objectSchema, policySchemaHeader, stringSchema } from './schema-fragments.ts';

const POSIX_NAME = stringSchema('posixName', TEXT_LIMITS.posixName);

const file = objectSchema(
  { path: stringSchema('absolutePath', TEXT_LIMITS.path), mode: stringSchema('fileMode', 4) },
  {
    content: {
      type: 'string',
      maxLength: CONFIG_LIMITS.fileBytes,
      pattern: PATTERN_SOURCES.fileContent,
      $comment: `at most ${CONFIG_LIMITS.fileBytes} bytes as UTF-8: checked by the parser (maxLength counts characters)`,
    },
    contentBase64: {
      type: 'string',
      maxLength: CONFIG_BASE64_MAX_LENGTH,
      pattern: PATTERN_SOURCES.base64,
      $comment: `decodes to at most ${CONFIG_LIMITS.fileBytes} bytes: checked by the parser`,
    },
    owner: POSIX_NAME,
    group: POSIX_NAME,
  },
  { oneOf: [{ required: ['content'] }, { required: ['contentBase64'] }] },
);

export const CONFIG_POLICY_SCHEMA: JsonSchema = {
  ...policySchemaHeader(
    'config',
    'Palisade config policy',
    'Files the agent writes and values it hands to local applications (CM-1).',
  ),
  ...objectSchema(
    {
      files: {
        ...arraySchema(file, { maxItems: CONFIG_LIMITS.files }),
        $comment: 'each path at most once: checked by the parser',
      },
    },
    {
      values: {
        type: 'object',
        maxProperties: CONFIG_LIMITS.values,
        propertyNames: { maxLength: 64, pattern: PATTERN_SOURCES.valueKey },
        additionalProperties: {
          oneOf: [
            { type: 'string', maxLength: TEXT_LIMITS.valueString, pattern: PATTERN_SOURCES.text },
            { type: 'number' },
            { type: 'boolean' },
          ],
        },
      },
    },
  ),
};
