import { isControlId } from '../events/control-ids.ts';
import { EVENT_TYPE_PATTERN, FIELD_KEY_PATTERN } from '../events/security-event.ts';
import { isPlainObject, jsonPointer, textProblem } from '../events/untrusted-input.ts';
import type { RuleCondition, RuleField, RuleLeaf, RuleOperator, RuleScalar } from './rule-document.ts';
import { RULE_LIMITS } from './rule-document.ts';

/** Reports one problem; `tooComplex` marks a cost limit (RULE_TOO_COMPLEX) rather than a malformed member. */
export type RuleReport = (path: string, message: string, tooComplex?: boolean) => void;

/** Leaves seen so far across `match` and every sequence step: the limit is per rule. */
export interface LeafBudget {
  leaves: number;
}

const OPERATORS: ReadonlySet<string> = new Set<RuleOperator>([
  'eq',
  'ne',
  'in',
  'contains',
  'startsWith',
  'endsWith',
  'glob',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
]);
const TEXT_OPERATORS: ReadonlySet<string> = new Set(['contains', 'startsWith', 'endsWith', 'glob']);
const NUMBER_OPERATORS: ReadonlySet<string> = new Set(['gt', 'gte', 'lt', 'lte']);
const LEAF_MEMBERS = new Set(['field', 'op', 'value', 'caseInsensitive']);

/** What a field holds, which decides the operators and values that can ever match it. */
type FieldKind = 'string' | 'number' | 'controls' | 'any';
const MEMBER_KINDS: Readonly<Record<string, FieldKind>> = {
  type: 'string',
  source: 'string',
  deviceId: 'string',
  message: 'string',
  group: 'string',
  severity: 'number',
  controls: 'controls',
};

/**
 * Parses one node of a condition tree at `path`, `depth` levels down (a
 * top-level node has depth 1). Returns undefined after reporting when the
 * node is unusable; deeper than RULE_LIMITS.maxDepth it stops descending, so
 * the work is bounded by the document's size whatever its shape.
 */
export function parseCondition(
  input: unknown,
  path: string,
  depth: number,
  budget: LeafBudget,
  report: RuleReport,
): RuleCondition | undefined {
  if (depth > RULE_LIMITS.maxDepth) {
    report(path, `nests deeper than ${RULE_LIMITS.maxDepth} levels`, true);
    return undefined;
  }
  if (!isPlainObject(input)) {
    report(path, 'must be an object: {all: […]}, {any: […]}, {not: …} or {field, op, value}');
    return undefined;
  }
  const keys = Object.keys(input);
  const combinator = keys.find((key) => key === 'all' || key === 'any' || key === 'not');
  if (combinator === undefined) return parseLeaf(input, path, budget, report);
  if (keys.length !== 1) {
    report(path, `must have ${combinator} as its only member`);
    return undefined;
  }
  const childPath = `${path}/${combinator}`;
  if (combinator === 'not') {
    const child = parseCondition(input.not, childPath, depth + 1, budget, report);
    return child && { not: child };
  }
  const list = input[combinator];
  if (!Array.isArray(list) || list.length === 0) {
    report(childPath, 'must be a non-empty array of conditions');
    return undefined;
  }
  const children = list.map((child, i) =>
    parseCondition(child, `${childPath}/${i}`, depth + 1, budget, report),
  );
  if (!children.every((child) => child !== undefined)) return undefined;
  return combinator === 'all' ? { all: children } : { any: children };
}

function parseLeaf(
  input: Record<string, unknown>,
  path: string,
  budget: LeafBudget,
  report: RuleReport,
): RuleLeaf | undefined {
  budget.leaves += 1;
  if (budget.leaves === RULE_LIMITS.maxLeaves + 1) {
    report(path, `is leaf ${budget.leaves} of the rule, limit ${RULE_LIMITS.maxLeaves}`, true);
  }
  let ok = true;
  const fail = (at: string, message: string, tooComplex = false): void => {
    report(at, message, tooComplex);
    ok = false;
  };
  for (const key of Object.keys(input)) {
    if (!LEAF_MEMBERS.has(key)) fail(`${path}${jsonPointer(key)}`, 'is not an allowed member');
  }
  const field = parseField(input.field);
  if (field === undefined)
    fail(
      `${path}/field`,
      'must be a rule field: type, severity, source, deviceId, message, controls, group or fields.<camelCaseKey>',
    );
  const op = typeof input.op === 'string' && OPERATORS.has(input.op) ? (input.op as RuleOperator) : undefined;
  if (op === undefined) fail(`${path}/op`, `must be one of ${[...OPERATORS].join(', ')}`);
  const caseInsensitive = input.caseInsensitive;
  if (caseInsensitive !== undefined && typeof caseInsensitive !== 'boolean') {
    fail(`${path}/caseInsensitive`, 'must be a boolean');
  }
  if (field === undefined || op === undefined) return undefined;

  const kind = fieldKind(field);
  const opProblem = operatorProblem(kind, op);
  if (opProblem) fail(`${path}/op`, `${opProblem} for ${field}`);
  if (
    caseInsensitive === true &&
    (kind === 'number' || kind === 'controls' || NUMBER_OPERATORS.has(op) || op === 'exists')
  ) {
    fail(`${path}/caseInsensitive`, 'applies to string comparisons only');
  }
  const value = parseValue(input.value, op, `${path}/value`, fail);
  if (value === undefined || opProblem) return undefined;
  checkValueFitsField(field, op, value, caseInsensitive === true, `${path}/value`, fail);
  if (!ok) return undefined;
  const leaf = { field, op, value } as RuleLeaf;
  return caseInsensitive === true ? { ...leaf, caseInsensitive: true } : leaf;
}

function parseField(value: unknown): RuleField | undefined {
  if (typeof value !== 'string') return undefined;
  if (Object.hasOwn(MEMBER_KINDS, value)) return value as RuleField;
  if (value.startsWith('fields.') && FIELD_KEY_PATTERN.test(value.slice(7))) return value as RuleField;
  return undefined;
}

function fieldKind(field: RuleField): FieldKind {
  return MEMBER_KINDS[field] ?? 'any';
}

function operatorProblem(kind: FieldKind, op: RuleOperator): string | undefined {
  // controls is an array: membership only (REQUIREMENTS.md IDs are exact, so no text matching).
  if (kind === 'controls' && op !== 'contains' && op !== 'in' && op !== 'exists') {
    return 'must be contains, in or exists';
  }
  if (kind === 'string' && NUMBER_OPERATORS.has(op)) return 'is a numeric comparison, never true';
  if (kind === 'number' && TEXT_OPERATORS.has(op)) return 'is a text operator, never true';
  return undefined;
}

type Fail = (path: string, message: string, tooComplex?: boolean) => void;

function parseValue(
  value: unknown,
  op: RuleOperator,
  path: string,
  fail: Fail,
): RuleLeaf['value'] | undefined {
  switch (op) {
    case 'eq':
    case 'ne':
      return parseScalar(value, path, fail);
    case 'in': {
      if (!Array.isArray(value) || value.length === 0) {
        fail(path, 'must be a non-empty array of strings, numbers or booleans');
        return undefined;
      }
      if (value.length > RULE_LIMITS.maxInValues) {
        fail(path, `has ${value.length} values, limit ${RULE_LIMITS.maxInValues}`, true);
        return undefined;
      }
      const scalars = value.map((item, i) => parseScalar(item, `${path}/${i}`, fail));
      return scalars.every((item) => item !== undefined) ? scalars : undefined;
    }
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'glob': {
      const limit = op === 'glob' ? RULE_LIMITS.maxGlobLength : RULE_LIMITS.maxStringLength;
      if (typeof value !== 'string' || value === '') {
        fail(path, 'must be a non-empty string (an empty one would match every value)');
        return undefined;
      }
      const problem = textProblem(value, limit);
      if (problem) fail(path, problem);
      return problem ? undefined : value;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      fail(path, 'must be a finite number');
      return undefined;
    case 'exists':
      if (typeof value === 'boolean') return value;
      fail(path, 'must be true or false');
      return undefined;
  }
}

function parseScalar(value: unknown, path: string, fail: Fail): RuleScalar | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value, RULE_LIMITS.maxStringLength);
    if (problem) fail(path, problem);
    return problem ? undefined : value;
  }
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return value;
  fail(path, 'must be a string, a finite number or a boolean');
  return undefined;
}

/**
 * Refuses values that can never equal what the field holds: a number for a
 * string member, an unknown control ID, an event type or source outside their
 * grammar. Such a rule would silently never fire, which is worse than an error.
 */
function checkValueFitsField(
  field: RuleField,
  op: RuleOperator,
  value: RuleLeaf['value'],
  caseInsensitive: boolean,
  path: string,
  fail: Fail,
): void {
  const kind = fieldKind(field);
  if (op === 'exists' || kind === 'any') return;
  const exact = (op === 'eq' || op === 'ne' || op === 'in') && !caseInsensitive;
  const values = Array.isArray(value) ? value : [value];
  values.forEach((item, i) => {
    const at = Array.isArray(value) ? `${path}/${i}` : path;
    if (kind === 'controls' && !isControlId(item)) fail(at, 'is not a control ID of REQUIREMENTS.md');
    else if (kind === 'string' && typeof item !== 'string') fail(at, `must be a string: ${field} is text`);
    else if (kind === 'number' && typeof item !== 'number')
      fail(at, `must be a number: ${field} is a number`);
    else if (exact && field === 'source' && item !== 'device' && item !== 'panel') {
      fail(at, 'must be device or panel');
    } else if (exact && field === 'type' && typeof item === 'string' && !EVENT_TYPE_PATTERN.test(item)) {
      fail(at, 'is not an event type (dotted lower-case segments), so it never matches');
    }
  });
}
