import type { FieldProblem } from '../errors/palisade-error.ts';
import { isPlainObject, jsonPointer } from '../events/untrusted-input.ts';
import { jsonSize } from './json-size.ts';
import { parseRuleDocument } from './parse-rule-document.ts';
import type { RuleCondition, RuleDocument } from './rule-document.ts';
import { RULE_LIMITS } from './rule-document.ts';
import { RuleError } from './rule-error.ts';
import { compileGlob, globMatches } from './rule-glob.ts';
import type { SigmaExpression } from './sigma-condition.ts';
import { parseSigmaCondition, SigmaConditionProblem } from './sigma-condition.ts';
import type { SigmaReport } from './sigma-detection.ts';
import { combine, convertSearch } from './sigma-detection.ts';

export interface SigmaImportOptions {
  /** The rule id; by default a slug of the Sigma title. */
  readonly id?: string;
  /**
   * Event types the rule applies to, ANDed with the detection as `type in […]`:
   * Palisade has one event stream, so this stands in for Sigma's `logsource`.
   */
  readonly eventTypes?: readonly string[];
}

/** Sigma `level` → rule severity (0–10): the even steps leave room for Palisade's own rules in between. */
const LEVEL_SEVERITY: Readonly<Record<string, number>> = {
  informational: 1,
  low: 3,
  medium: 5,
  high: 7,
  critical: 9,
};
const STATUSES = new Set(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);
/** Top-level members of Sigma documents that are not single-event detection rules. */
const OTHER_DOCUMENTS: Readonly<Record<string, string>> = {
  correlation: 'is a correlation rule (Sigma correlation specification), which Palisade does not import',
  filter: 'is a Sigma filter (meta-rule), which Palisade does not import',
  action: 'is a Sigma v1 rule collection action, which Palisade does not import',
};
const MAX_SIGMA_BYTES = 131_072;

/**
 * Converts the field-condition subset of a Sigma rule (rules specification
 * v2; the document already parsed from YAML) into a Palisade rule document
 * with `detect: match`, or throws a RuleError: SIGMA_INVALID when it is not a
 * Sigma rule, SIGMA_UNSUPPORTED naming the feature and where (`|re`,
 * aggregations, keywords, correlation …), or the rule parser's RULE_INVALID /
 * RULE_TOO_COMPLEX when the converted rule is over Palisade's limits.
 * docs/detection-rules.md lists what is supported.
 *
 * @example
 * const rule = sigmaToRule(YAML.parse(text), { eventTypes: ['auth.login-failed'] });
 */
export function sigmaToRule(doc: unknown, options: SigmaImportOptions = {}): RuleDocument {
  const problems: (FieldProblem & { kind: 'invalid' | 'unsupported' | 'complex' })[] = [];
  const report: SigmaReport = (path, message, kind = 'invalid') => {
    problems.push({ path, message, kind });
  };
  const size = jsonSize(doc, MAX_SIGMA_BYTES);
  if (typeof size !== 'number')
    report(size.path, size.problem === 'not-json' ? 'is not YAML data' : 'nests too deeply', 'complex');
  else if (size > MAX_SIGMA_BYTES) report('', `is over ${MAX_SIGMA_BYTES} bytes`, 'complex');
  else if (!isPlainObject(doc)) report('', 'must be a YAML map (one Sigma rule)');
  if (problems.length > 0 || !isPlainObject(doc)) throw sigmaRefusal(problems);

  for (const [key, message] of Object.entries(OTHER_DOCUMENTS)) {
    if (Object.hasOwn(doc, key)) report(jsonPointer(key), message, 'unsupported');
  }
  const title = typeof doc.title === 'string' && doc.title.trim() !== '' ? doc.title.trim() : undefined;
  if (title === undefined) report('/title', 'is required: a non-empty string');
  const severity = doc.level === undefined ? LEVEL_SEVERITY.medium : LEVEL_SEVERITY[String(doc.level)];
  if (severity === undefined || (doc.level !== undefined && typeof doc.level !== 'string')) {
    report('/level', 'must be informational, low, medium, high or critical');
  }
  if (doc.status !== undefined && !STATUSES.has(String(doc.status))) {
    report('/status', 'must be stable, test, experimental, deprecated or unsupported');
  }
  if (!isPlainObject(doc.logsource)) report('/logsource', 'is required: a map of category, product, service');
  const match = convertDetection(doc.detection, report);
  const id = options.id ?? (title === undefined ? '' : slugOf(title));
  if (title !== undefined && id === '')
    report('/title', 'gives no rule id (no letters or digits): pass options.id');
  if (problems.length > 0) throw sigmaRefusal(problems);

  const typed: RuleCondition | undefined =
    options.eventTypes === undefined
      ? undefined
      : { field: 'type', op: 'in', value: [...options.eventTypes] };
  const candidate = {
    id,
    title: cut(title ?? '', RULE_LIMITS.titleLength),
    description: cut(describe(doc), RULE_LIMITS.descriptionLength),
    // Sigma "deprecated" and "unsupported" rules are not meant to run: import them switched off.
    enabled: doc.status !== 'deprecated' && doc.status !== 'unsupported',
    severity,
    match: typed === undefined || match === undefined ? match : combine('all', [typed, match]),
    detect: { kind: 'match' },
  };
  try {
    return parseRuleDocument(candidate);
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    throw new RuleError(error.code, `the rule converted from Sigma: ${error.message}`, error.problems);
  }
}

function convertDetection(detection: unknown, report: SigmaReport): RuleCondition | undefined {
  if (!isPlainObject(detection)) {
    report('/detection', 'is required: a map of search identifiers and a condition');
    return undefined;
  }
  if (Object.hasOwn(detection, 'timeframe')) {
    report(
      '/detection/timeframe',
      'sets a timeframe, which only aggregations use: unsupported',
      'unsupported',
    );
  }
  const searches = new Map<string, RuleCondition | undefined>();
  for (const [name, value] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    searches.set(name, convertSearch(value, `/detection${jsonPointer(name)}`, report));
  }
  const raw = detection.condition;
  const conditions = Array.isArray(raw) ? raw : [raw];
  if (conditions.length === 0 || !conditions.every((item) => typeof item === 'string')) {
    report('/detection/condition', 'is required: a string, or a list of strings (ORed)');
    return undefined;
  }
  const converted = conditions.map((text, i) => {
    const path = Array.isArray(raw) ? `/detection/condition/${i}` : '/detection/condition';
    try {
      return resolve(parseSigmaCondition(text), searches, path, report);
    } catch (problem) {
      if (!(problem instanceof SigmaConditionProblem)) throw problem;
      report(path, problem.message, problem.kind);
      return undefined;
    }
  });
  return converted.every((item) => item !== undefined) ? combine('any', converted) : undefined;
}

/** Replaces identifiers by their searches; `1 of` / `all of` expand over the matching identifiers. */
function resolve(
  expression: SigmaExpression,
  searches: ReadonlyMap<string, RuleCondition | undefined>,
  path: string,
  report: SigmaReport,
): RuleCondition | undefined {
  const recurse = (item: SigmaExpression) => resolve(item, searches, path, report);
  switch (expression.kind) {
    case 'ref': {
      if (!searches.has(expression.name)) {
        report(
          path,
          `names "${expression.name.slice(0, 64)}", which is not a search identifier of the detection`,
        );
      }
      return searches.get(expression.name);
    }
    case 'not': {
      const item = recurse(expression.item);
      if (item === undefined) return undefined;
      return 'not' in item ? item.not : { not: item };
    }
    case 'and':
    case 'or': {
      const items = expression.items.map(recurse);
      if (!items.every((item) => item !== undefined)) return undefined;
      return combine(expression.kind === 'and' ? 'all' : 'any', items);
    }
    case 'of': {
      const names = namesMatching(expression.pattern, [...searches.keys()]);
      if (names.length === 0) {
        report(path, `has "${expression.pattern.slice(0, 64)}", which matches no search identifier`);
        return undefined;
      }
      const items = names.map((name) => searches.get(name));
      if (!items.every((item) => item !== undefined)) return undefined;
      return combine(expression.quantifier === 'all' ? 'all' : 'any', items);
    }
  }
}

/** Rules specification: `them` is every identifier not starting with `_`; a pattern's `*` matches any run. */
function namesMatching(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((name) => !name.startsWith('_'));
  const glob = compileGlob(pattern);
  return names.filter((name) => globMatches(glob, name));
}

/** The Sigma metadata Palisade keeps as text: provenance, tags, log source, false positives. */
function describe(doc: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof doc.description === 'string' && doc.description.trim() !== '')
    parts.push(doc.description.trim());
  const origin = [`Imported from Sigma${typeof doc.id === 'string' ? ` rule ${doc.id}` : ''}`];
  if (typeof doc.status === 'string') origin.push(`status ${doc.status}`);
  parts.push(`${origin.join(', ')}.`);
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
  if (list(doc.tags).length > 0) parts.push(`Tags: ${list(doc.tags).join(', ')}.`);
  if (isPlainObject(doc.logsource)) {
    const source = Object.entries(doc.logsource)
      .filter(([, value]) => typeof value === 'string')
      .map(([key, value]) => `${key}=${String(value)}`);
    if (source.length > 0) parts.push(`Log source: ${source.join(', ')}.`);
  }
  if (list(doc.falsepositives).length > 0)
    parts.push(`False positives: ${list(doc.falsepositives).join('; ')}.`);
  // Drop the control characters rule text refuses (textProblem); keep tabs and newlines.
  return [...parts.join('\n\n')]
    .filter((char) => {
      const c = char.codePointAt(0) ?? 0;
      return c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f) || c > 0x9f;
    })
    .join('');
}

/** A rule id from a title: lower-case ASCII letters and digits, other runs as `-`, at most 63. */
function slugOf(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '');
  return slug.slice(0, 63).replace(/-+$/, '');
}

/** At most `limit` UTF-16 units, ending in … when cut, never splitting a surrogate pair. */
function cut(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function sigmaRefusal(
  problems: readonly (FieldProblem & { kind: 'invalid' | 'unsupported' | 'complex' })[],
): RuleError {
  // A broken document is the first thing to fix; then what Palisade cannot evaluate; then size.
  const code = problems.some((p) => p.kind === 'invalid')
    ? 'SIGMA_INVALID'
    : problems.some((p) => p.kind === 'unsupported')
      ? 'SIGMA_UNSUPPORTED'
      : 'RULE_TOO_COMPLEX';
  const shown = problems.slice(0, 50).map(({ path, message }) => ({ path, message }));
  const where = shown.slice(0, 10).map((p) => `${p.path || '(rule)'} ${p.message}`);
  return new RuleError(code, `Sigma rule rejected: ${where.join('; ')}`, shown);
}
