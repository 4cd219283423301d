import { isPlainObject, jsonPointer } from '../events/untrusted-input.ts';
import type { ConfigFile, ConfigPolicy } from './config-policy.ts';
import { CONFIG_BASE64_MAX_LENGTH, CONFIG_LIMITS } from './config-policy.ts';
import { ABSOLUTE_PATH } from './parse-monitoring-policy.ts';
import type { Report, TextRule } from './policy-input.ts';
import { arrayAt, objectAt, optionalMember, stringAt } from './policy-input.ts';
import { PATTERNS, TEXT_LIMITS } from './policy-patterns.ts';

const POSIX_NAME: TextRule = {
  pattern: PATTERNS.posixName,
  maxLength: TEXT_LIMITS.posixName,
  what: 'a user or group name of a-z 0-9 _ - starting with a letter or _',
};
const encoder = new TextEncoder();

/**
 * Parses a `config` document. Sizes are checked in bytes (UTF-8 for
 * `content`, decoded for `contentBase64`), which JSON Schema cannot express.
 */
export function parseConfigPolicy(input: unknown, path: string, report: Report): ConfigPolicy {
  const doc = objectAt(input, path, ['files', 'values'], report);
  const r = doc.report;
  const files = arrayAt(
    doc.value.files,
    `${path}/files`,
    { maxItems: CONFIG_LIMITS.files },
    (item, at) => parseFile(item, at, r),
    r,
  );
  const first = new Map<string, number>();
  files.forEach((file, index) => {
    const earlier = first.get(file.path);
    if (earlier === undefined) first.set(file.path, index);
    else if (file.path !== '')
      r(`${path}/files/${index}/path`, `is already written by ${path}/files/${earlier}`);
  });
  const values =
    doc.value.values === undefined ? undefined : parseValues(doc.value.values, `${path}/values`, r);
  return { files, ...optionalMember('values', values) };
}

function parseFile(input: unknown, path: string, report: Report): ConfigFile {
  const { value, report: r } = objectAt(
    input,
    path,
    ['path', 'content', 'contentBase64', 'mode', 'owner', 'group'],
    report,
  );
  const base = {
    path: stringAt(value.path, `${path}/path`, ABSOLUTE_PATH, r),
    mode: stringAt(
      value.mode,
      `${path}/mode`,
      {
        pattern: PATTERNS.fileMode,
        maxLength: 4,
        what: 'an octal mode such as 0640, not world-writable, without setuid, setgid or sticky bits',
      },
      r,
    ),
    ...optionalMember(
      'owner',
      value.owner === undefined ? undefined : stringAt(value.owner, `${path}/owner`, POSIX_NAME, r),
    ),
    ...optionalMember(
      'group',
      value.group === undefined ? undefined : stringAt(value.group, `${path}/group`, POSIX_NAME, r),
    ),
  };
  if (value.content !== undefined && value.contentBase64 !== undefined) {
    r(`${path}/contentBase64`, 'is not allowed together with content');
  } else if (value.contentBase64 !== undefined) {
    return { ...base, contentBase64: parseBase64(value.contentBase64, `${path}/contentBase64`, r) };
  } else if (value.content === undefined) {
    r(`${path}/content`, 'is required (or contentBase64)');
  }
  const content = value.content === undefined ? '' : parseContent(value.content, `${path}/content`, r);
  return { ...base, content };
}

function parseContent(value: unknown, path: string, report: Report): string {
  if (typeof value !== 'string') {
    report(path, 'must be a string');
    return '';
  }
  // Cheap bound first: a string of n UTF-16 units is at most 3n UTF-8 bytes.
  const bytes = value.length * 3 <= CONFIG_LIMITS.fileBytes ? 0 : encoder.encode(value).length;
  if (bytes > CONFIG_LIMITS.fileBytes)
    report(path, `is ${bytes} bytes as UTF-8, limit ${CONFIG_LIMITS.fileBytes}`);
  else if (!PATTERNS.fileContent.test(value))
    report(path, 'must be text: no NUL and no lone surrogate (use contentBase64 for binary files)');
  return value;
}

function parseBase64(value: unknown, path: string, report: Report): string {
  if (typeof value !== 'string') {
    report(path, 'must be a string');
  } else if (value.length > CONFIG_BASE64_MAX_LENGTH) {
    report(path, `is ${value.length} characters, limit ${CONFIG_BASE64_MAX_LENGTH}`);
  } else if (!PATTERNS.base64.test(value)) {
    report(path, 'must be base64 (RFC 4648 §4, padded)');
  } else {
    const bytes = Buffer.byteLength(value, 'base64');
    if (bytes > CONFIG_LIMITS.fileBytes)
      report(path, `decodes to ${bytes} bytes, limit ${CONFIG_LIMITS.fileBytes}`);
    return value;
  }
  return '';
}

function parseValues(
  input: unknown,
  path: string,
  report: Report,
): Record<string, string | number | boolean> {
  if (!isPlainObject(input)) {
    report(path, 'must be a JSON object of string, number or boolean values');
    return {};
  }
  const entries = Object.entries(input);
  if (entries.length > CONFIG_LIMITS.values) {
    report(path, `has ${entries.length} members, limit ${CONFIG_LIMITS.values}`);
    return {};
  }
  const values: Record<string, string | number | boolean> = {};
  for (const [key, value] of entries) {
    const at = `${path}${jsonPointer(key)}`;
    if (key.length > 64 || !PATTERNS.valueKey.test(key)) {
      report(at, 'is not a value key: 1-64 characters of A-Z a-z 0-9 _ . -, starting with a letter');
    } else if (typeof value === 'string') {
      stringAt(
        value,
        at,
        {
          pattern: PATTERNS.text,
          minLength: 0,
          maxLength: TEXT_LIMITS.valueString,
          what: 'text without control characters',
        },
        report,
      );
      values[key] = value;
    } else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') {
      values[key] = value;
    } else {
      report(at, 'must be a string, a number or a boolean');
    }
  }
  return values;
}
