import { FIELD_KEY_PATTERN } from '../events/security-event.ts';
import { isPlainObject, jsonPointer } from '../events/untrusted-input.ts';
import type { RuleCondition, RuleField, RuleLeaf, RuleScalar } from './rule-document.ts';
import { RULE_LIMITS } from './rule-document.ts';

/** One problem of a Sigma rule: `unsupported` is valid Sigma that Palisade does not evaluate. */
export type SigmaReport = (
  path: string,
  message: string,
  kind?: 'invalid' | 'unsupported' | 'complex',
) => void;

/** Event members a Sigma field name maps to as is (exact spelling); any other name is a typed field. */
const MEMBER_FIELDS = new Set(['type', 'severity', 'deviceId', 'message', 'source']);
const TEXT_MODIFIERS = { contains: 'contains', startswith: 'startsWith', endswith: 'endsWith' } as const;
const NUMBER_MODIFIERS = new Set(['gt', 'gte', 'lt', 'lte']);
/** Why a Sigma v2 modifier (sigma-appendix-modifiers) is not supported, where a reason helps. */
const UNSUPPORTED_REASONS: Readonly<Record<string, string>> = {
  re: ': Palisade has no regular-expression operator, so that no rule can backtrack catastrophically',
  base64: ': events carry decoded text',
  base64offset: ': events carry decoded text',
  utf16le: ': events carry decoded text',
  utf16be: ': events carry decoded text',
  utf16: ': events carry decoded text',
  wide: ': events carry decoded text',
  windash: ': Windows command-line permutations do not apply to the fleet',
  cidr: ': there is no address-range operator yet',
  expand: ': placeholders need a lookup Palisade does not have',
  fieldref: ': conditions compare fields with constants only',
};

type TextOp = (typeof TEXT_MODIFIERS)[keyof typeof TEXT_MODIFIERS];
type NumberOp = 'gt' | 'gte' | 'lt' | 'lte';
interface Modifiers {
  text?: TextOp;
  number?: NumberOp;
  all: boolean;
  cased: boolean;
  exists: boolean;
}

/**
 * Converts one search identifier of a Sigma `detection` (rules specification
 * v2, "Search-Identifier"): a map is the AND of its fields, a list of maps the
 * OR of them. A list of plain values is a keyword search over the whole log
 * line, which has no counterpart in Palisade's typed events: unsupported.
 */
export function convertSearch(value: unknown, path: string, report: SigmaReport): RuleCondition | undefined {
  if (isPlainObject(value)) return convertMap(value, path, report);
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    const maps = value.map((map, i) => convertMap(map, `${path}/${i}`, report));
    return maps.every((map) => map !== undefined) ? combine('any', maps) : undefined;
  }
  if (typeof value === 'string' || typeof value === 'number' || (Array.isArray(value) && value.length > 0)) {
    report(
      path,
      'is a keyword search (values without a field name), which Palisade does not support',
      'unsupported',
    );
    return undefined;
  }
  report(path, 'must be a map of fields to values, or a list of such maps');
  return undefined;
}

function convertMap(
  map: Record<string, unknown>,
  path: string,
  report: SigmaReport,
): RuleCondition | undefined {
  const entries = Object.entries(map);
  if (entries.length === 0) {
    report(path, 'is an empty map');
    return undefined;
  }
  const fields = entries.map(([spec, value]) =>
    convertField(spec, value, `${path}${jsonPointer(spec)}`, report),
  );
  return fields.every((field) => field !== undefined) ? combine('all', fields) : undefined;
}

function convertField(
  spec: string,
  value: unknown,
  path: string,
  report: SigmaReport,
): RuleCondition | undefined {
  const [name = '', ...names] = spec.split('|');
  if (name === '') {
    report(
      path,
      'is a keyword search (values without a field name), which Palisade does not support',
      'unsupported',
    );
    return undefined;
  }
  const field = mapSigmaField(name);
  if (field === undefined) {
    report(
      path,
      `names the field "${name.slice(0, 64)}", which has no Palisade form (camelCase letters and digits, at most 32)`,
      'unsupported',
    );
  }
  const modifiers = parseModifiers(names, path, report);
  if (field === undefined || modifiers === undefined) return undefined;
  const values: unknown[] = Array.isArray(value) ? value : [value];
  if (values.length === 0) {
    report(path, 'has an empty list of values');
    return undefined;
  }
  if (modifiers.all && values.length < 2) {
    report(path, 'uses |all with a single value, which the Sigma modifiers appendix forbids');
    return undefined;
  }
  if (modifiers.exists) {
    if (values.length === 1 && typeof values[0] === 'boolean')
      return { field, op: 'exists', value: values[0] };
    report(path, '|exists takes true or false');
    return undefined;
  }
  const leaves = modifiers.number
    ? numberLeaves(field, modifiers.number, values, path, report)
    : valueLeaves(field, modifiers, values, path, report);
  return leaves && combine(modifiers.all ? 'all' : 'any', leaves);
}

function parseModifiers(names: readonly string[], path: string, report: SigmaReport): Modifiers | undefined {
  const modifiers: Modifiers = { all: false, cased: false, exists: false };
  let ok = true;
  for (const name of names) {
    if (Object.hasOwn(TEXT_MODIFIERS, name) && modifiers.text === undefined) {
      modifiers.text = TEXT_MODIFIERS[name as keyof typeof TEXT_MODIFIERS];
    } else if (NUMBER_MODIFIERS.has(name) && modifiers.number === undefined) {
      modifiers.number = name as NumberOp;
    } else if (name === 'all' || name === 'cased' || name === 'exists') {
      modifiers[name] = true;
    } else if (Object.hasOwn(TEXT_MODIFIERS, name) || NUMBER_MODIFIERS.has(name)) {
      report(path, `combines two matching modifiers (|${name})`, 'invalid');
      ok = false;
    } else {
      const reason = UNSUPPORTED_REASONS[name] ?? '';
      report(
        path,
        `uses the |${name.slice(0, 32)} modifier, which Palisade does not support${reason}`,
        'unsupported',
      );
      ok = false;
      break; // the first one is the news: `|re|i` is one feature, not two
    }
  }
  if (ok && (modifiers.text || modifiers.exists) && modifiers.number) {
    report(path, 'mixes a numeric comparison with a text or exists modifier', 'invalid');
    return undefined;
  }
  return ok ? modifiers : undefined;
}

function numberLeaves(
  field: RuleField,
  op: NumberOp,
  values: readonly unknown[],
  path: string,
  report: SigmaReport,
): RuleLeaf[] | undefined {
  if (!values.every((value) => typeof value === 'number' && Number.isFinite(value))) {
    report(path, `|${op} compares with numbers only`);
    return undefined;
  }
  return values.map((value) => ({ field, op, value: value as number }));
}

/**
 * Plain values become one `in` leaf (chunked at the list limit); values with
 * wildcards or a text modifier become contains / startsWith / endsWith, or a
 * glob when wildcards remain inside. Strings compare case-insensitively unless
 * |cased (rules specification: "All values are treated as case-insensitive
 * strings"); a number matches the number or its decimal text, since Sigma
 * treats it as a string and Palisade fields are typed.
 */
function valueLeaves(
  field: RuleField,
  modifiers: Modifiers,
  values: readonly unknown[],
  path: string,
  report: SigmaReport,
): RuleLeaf[] | undefined {
  const caseInsensitive = !modifiers.cased;
  const flag = caseInsensitive ? { caseInsensitive } : {};
  const plain: RuleScalar[] = [];
  const leaves: RuleLeaf[] = [];
  for (const value of values) {
    if (value === null) {
      if (modifiers.text) {
        report(path, `|${modifiers.text.toLowerCase()} cannot apply to null`);
        return undefined;
      }
      leaves.push({ field, op: 'exists', value: false });
    } else if (
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value) && !modifiers.text)
    ) {
      if (modifiers.all) leaves.push({ field, op: 'eq', value });
      else plain.push(value);
      if (typeof value === 'number' && !modifiers.all) plain.push(String(value));
    } else if (typeof value === 'string' || typeof value === 'number') {
      const text = sigmaString(String(value));
      if (!modifiers.text && !text.wildcard && !modifiers.all) plain.push(text.literal);
      else leaves.push({ ...textLeaf(field, modifiers.text, text), ...flag });
    } else {
      report(path, 'must hold strings, numbers, booleans or null');
      return undefined;
    }
  }
  for (let i = 0; i < plain.length; i += RULE_LIMITS.maxInValues) {
    const chunk = plain.slice(i, i + RULE_LIMITS.maxInValues);
    const single = chunk.length === 1 ? chunk[0] : undefined;
    const hasText = chunk.some((item) => typeof item === 'string');
    const ci = hasText ? flag : {};
    leaves.push(
      single === undefined
        ? { field, op: 'in', value: chunk, ...ci }
        : { field, op: 'eq', value: single, ...ci },
    );
  }
  return leaves;
}

interface SigmaString {
  /** The value with escapes resolved, if it has no wildcard. */
  readonly literal: string;
  /** The value as a Palisade glob (rule-glob.ts), escaping literal `*`, `?` and `\`. */
  readonly glob: string;
  readonly wildcard: boolean;
}

/** Sigma rules specification, "Escaping": `\*`, `\?` and `\\` escape; a lone `\` is itself. */
function sigmaString(text: string): SigmaString {
  let literal = '';
  let glob = '';
  let wildcard = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '';
    const next = text[i + 1];
    if (char === '\\' && (next === '*' || next === '?' || next === '\\')) {
      literal += next;
      glob += `\\${next}`;
      i += 1;
    } else if (char === '*' || char === '?') {
      wildcard = true;
      glob += char;
    } else {
      literal += char;
      glob += char === '\\' ? '\\\\' : char;
    }
  }
  return { literal, glob, wildcard };
}

function textLeaf(field: RuleField, op: TextOp | undefined, text: SigmaString): RuleLeaf {
  if (!text.wildcard && text.literal !== '' && op !== undefined) return { field, op, value: text.literal };
  if (!text.wildcard && op === undefined) return { field, op: 'eq', value: text.literal };
  const before = op === 'contains' || op === 'endsWith' ? '*' : '';
  const after = op === 'contains' || op === 'startsWith' ? '*' : '';
  return { field, op: 'glob', value: `${before}${text.glob}${after}` };
}

/**
 * Sigma field name → rule field: `type`, `severity`, `deviceId`, `message`
 * and `source` (exact spelling) are the event's members; `fields.x` is kept;
 * any other name becomes a typed field in camelCase (`CommandLine` →
 * `fields.commandLine`, `c-uri` → `fields.cUri`, `Provider_Name` →
 * `fields.providerName`), or undefined when that is not a field key.
 */
export function mapSigmaField(name: string): RuleField | undefined {
  if (MEMBER_FIELDS.has(name)) return name as RuleField;
  const key = name.startsWith('fields.')
    ? name.slice('fields.'.length)
    : name
        .split(/[^A-Za-z0-9]+/)
        .filter((part) => part !== '')
        .map(
          (part, i) =>
            (i === 0 ? part.charAt(0).toLowerCase() : part.charAt(0).toUpperCase()) + part.slice(1),
        )
        .join('');
  return FIELD_KEY_PATTERN.test(key) ? `fields.${key}` : undefined;
}

/** all/any of the items, without a wrapper for one item and with nested same-kind nodes flattened. */
export function combine(kind: 'all' | 'any', items: readonly RuleCondition[]): RuleCondition {
  const flat = items.flatMap((item) =>
    kind === 'all' && 'all' in item ? item.all : kind === 'any' && 'any' in item ? item.any : [item],
  );
  const [only] = flat;
  if (flat.length === 1 && only !== undefined) return only;
  return kind === 'all' ? { all: flat } : { any: flat };
}
