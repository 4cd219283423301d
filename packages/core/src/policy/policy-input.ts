/**
 * The small checks every policy parser applies to untrusted members. Each
 * reports a problem by JSON pointer and returns a typed value, or a neutral
 * fallback so that parsing goes on and every problem of a document is named
 * at once; a parser throws when anything was reported, so a fallback never
 * escapes.
 *
 * Lengths count Unicode code points, as JSON Schema's minLength/maxLength do
 * (draft 2020-12 §6.3.1), so the parsers and POLICY_SCHEMAS agree.
 */
import { canonicalJson } from '../encoding/canonical-json.ts';
import { isPlainObject, jsonPointer } from '../events/untrusted-input.ts';

export type Report = (path: string, message: string) => void;

/** The code points of a string (a lone surrogate counts as one), as JSON Schema counts length. */
export function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i += 1;
    count += 1;
  }
  return count;
}

const IGNORE: Report = () => {};

/**
 * The members of a JSON object, and the reporter for them: when the value is
 * not an object, its members are not looked at (one problem, not one per
 * member). Unknown members are reported; a missing required member is
 * reported by the check of that member, which sees `undefined`.
 */
export interface ObjectInput {
  readonly value: Readonly<Record<string, unknown>>;
  readonly report: Report;
}

export function objectAt(
  value: unknown,
  path: string,
  members: readonly string[],
  report: Report,
): ObjectInput {
  if (!isPlainObject(value)) {
    report(path, value === undefined ? 'is required' : 'must be a JSON object');
    return { value: {}, report: IGNORE };
  }
  for (const key of Object.keys(value))
    if (!members.includes(key)) report(`${path}${jsonPointer(key)}`, 'is not an allowed member');
  return { value, report };
}

/** Reports a missing member; true when the value is there to be checked. */
function present(value: unknown, path: string, report: Report): boolean {
  if (value !== undefined) return true;
  report(path, 'is required');
  return false;
}

export function integerAt(
  value: unknown,
  path: string,
  range: { readonly min: number; readonly max: number },
  report: Report,
): number {
  if (!present(value, path, report)) return range.min;
  if (typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max)
    return value;
  report(path, `must be an integer ${range.min}..${range.max}`);
  return range.min;
}

export function booleanAt(value: unknown, path: string, report: Report): boolean {
  if (!present(value, path, report)) return false;
  if (typeof value === 'boolean') return value;
  report(path, 'must be true or false');
  return false;
}

export function oneOfAt<T extends string>(
  value: unknown,
  path: string,
  options: readonly [T, ...T[]],
  report: Report,
): T {
  if (!present(value, path, report)) return options[0];
  const found = options.find((option) => option === value);
  if (found !== undefined) return found;
  report(path, `must be one of ${options.join(', ')}`);
  return options[0];
}

export interface TextRule {
  /** Anchored, compiled with the `u` flag: the same source the schema publishes as `pattern`. */
  readonly pattern: RegExp;
  readonly minLength?: number;
  readonly maxLength: number;
  /** What the pattern means, for the problem message: "an absolute, normalized path". */
  readonly what: string;
}

export function stringAt(value: unknown, path: string, rule: TextRule, report: Report): string {
  if (!present(value, path, report)) return '';
  if (typeof value !== 'string') {
    report(path, 'must be a string');
    return '';
  }
  const length = characterCount(value);
  const min = rule.minLength ?? 1;
  if (length < min || length > rule.maxLength) {
    report(path, `must be ${min}..${rule.maxLength} characters, is ${length}`);
  } else if (!rule.pattern.test(value)) {
    report(path, `must be ${rule.what}`);
  }
  return value;
}

export interface ArrayRule {
  readonly minItems?: number;
  readonly maxItems: number;
  /** JSON Schema `uniqueItems`: no two items equal as JSON values. */
  readonly unique?: boolean;
}

/** Items parsed one by one at `<path>/<index>`; every item is checked even when the count is off. */
export function arrayAt<T>(
  value: unknown,
  path: string,
  rule: ArrayRule,
  item: (value: unknown, path: string) => T,
  report: Report,
): T[] {
  if (!present(value, path, report)) return [];
  if (!Array.isArray(value)) {
    report(path, 'must be an array');
    return [];
  }
  const min = rule.minItems ?? 0;
  if (value.length < min || value.length > rule.maxItems) {
    report(path, `must have ${min}..${rule.maxItems} items, has ${value.length}`);
    if (value.length > rule.maxItems) return [];
  }
  const seen = new Map<string, number>();
  return value.map((raw: unknown, index) => {
    if (rule.unique) {
      const key = safeCanonical(raw);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else report(`${path}/${index}`, `is a duplicate of ${path}/${first}`);
    }
    return item(raw, `${path}/${index}`);
  });
}

function safeCanonical(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return `\u0000${String(value)}`;
  }
}

/** `{ key: value }`, or `{}` for undefined: builds objects under exactOptionalPropertyTypes. */
export function optionalMember<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
