import type { FieldProblem } from '../errors/palisade-error.ts';
import { isControlId } from '../events/control-ids.ts';
import { isPlainObject, jsonPointer, textProblem } from '../events/untrusted-input.ts';
import { isAnchored } from './condition-anchor.ts';
import { jsonSize } from './json-size.ts';
import type { LeafBudget, RuleReport } from './parse-rule-condition.ts';
import { parseCondition } from './parse-rule-condition.ts';
import type { RuleAction, RuleCondition, RuleDetect, RuleDocument } from './rule-document.ts';
import { defaultSuppressSeconds, RULE_ID_PATTERN, RULE_LIMITS } from './rule-document.ts';
import { RuleError } from './rule-error.ts';

const MEMBERS = new Set(
  'id title description enabled severity controls match detect suppressSeconds actions'.split(' '),
);
const DETECT_MEMBERS: Readonly<Record<RuleDetect['kind'], ReadonlySet<string>>> = {
  match: new Set(['kind']),
  threshold: new Set(['kind', 'count', 'windowSeconds', 'per']),
  sequence: new Set(['kind', 'steps', 'withinSeconds']),
  spread: new Set(['kind', 'devices', 'windowSeconds']),
};
// Any RFC 9562 UUID: exporter IDs are the server's to mint.
const EXPORTER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PROBLEMS = 50;
const ANCHOR_PROBLEM =
  'matches (almost) every event: every branch needs a positive test such as eq, in, contains, ' +
  'startsWith, endsWith or a glob with a literal character';

/**
 * Parses an untrusted rule document (a REST API body, a stored rule) into a
 * RuleDocument with defaults filled in, or throws a RuleError naming every
 * problem by JSON pointer: RULE_TOO_COMPLEX when any problem is a cost limit
 * (size, depth, leaves, `in` length, sequence steps), RULE_INVALID otherwise.
 * Unknown members are problems, never silently dropped.
 *
 * @example
 * const rule = parseRuleDocument(JSON.parse(body));
 * engine.load([...others, rule]);
 */
export function parseRuleDocument(input: unknown): RuleDocument {
  const problems: FieldProblem[] = [];
  let tooComplex = false;
  const report: RuleReport = (path, message, complex = false) => {
    problems.push({ path, message });
    tooComplex ||= complex;
  };
  const size = jsonSize(input, RULE_LIMITS.maxDocumentBytes);
  if (typeof size !== 'number') {
    if (size.problem === 'not-json') report(size.path, 'is not JSON data');
    else report(size.path, 'nests too deeply', true);
  } else if (size > RULE_LIMITS.maxDocumentBytes) {
    report('', `is over ${RULE_LIMITS.maxDocumentBytes} bytes as JSON`, true);
  } else if (!isPlainObject(input)) {
    report('', 'must be a JSON object');
  }
  if (problems.length > 0 || !isPlainObject(input)) throw refusal(problems, tooComplex);

  for (const key of Object.keys(input)) {
    if (!MEMBERS.has(key)) report(jsonPointer(key), 'is not an allowed member');
  }
  const budget: LeafBudget = { leaves: 0 };
  // match before the steps, so that the leaf limit is reported where a reader counts from.
  const match =
    input.match === undefined ? undefined : parseCondition(input.match, '/match', 1, budget, report);
  const detect = parseDetect(input.detect, budget, report);
  if (input.match === undefined && detect?.kind !== 'sequence') {
    report('/match', 'is required (it is optional only for sequences)');
  }
  const rule = {
    id: parseId(input.id, report),
    title: parseText(input.title, '/title', RULE_LIMITS.titleLength, report) ?? '',
    ...optionalDescription(input.description, report),
    enabled: parseEnabled(input.enabled, report),
    severity: parseSeverity(input.severity, report),
    controls: parseControls(input.controls, report),
    ...(match === undefined ? {} : { match }),
    detect: detect ?? { kind: 'match' },
    suppressSeconds: parseSuppress(input.suppressSeconds, detect, report),
    actions: parseActions(input.actions, report),
  } satisfies RuleDocument;
  if (problems.length === 0) checkAnchored(rule, report);
  if (problems.length > 0) throw refusal(problems, tooComplex);
  return rule;
}

function refusal(problems: FieldProblem[], tooComplex: boolean): RuleError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS) {
    shown.push({ path: '', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
  }
  const where = shown.slice(0, 10).map((p) => p.path || '(rule)');
  return new RuleError(
    tooComplex ? 'RULE_TOO_COMPLEX' : 'RULE_INVALID',
    `rule rejected: ${problems.length} problem(s) at ${where.join(', ')}`,
    shown,
  );
}

function checkAnchored(rule: RuleDocument, report: RuleReport): void {
  if (rule.match !== undefined && isAnchored(rule.match)) return;
  if (rule.detect.kind === 'sequence') {
    rule.detect.steps.forEach((step, i) => {
      if (!isAnchored(step)) report(`/detect/steps/${i}`, `${ANCHOR_PROBLEM} (and match does not anchor it)`);
    });
    return;
  }
  report('/match', ANCHOR_PROBLEM);
}

function parseId(value: unknown, report: RuleReport): string {
  if (typeof value === 'string' && RULE_ID_PATTERN.test(value)) return value;
  report('/id', 'must be a slug: 1-63 of a-z 0-9 -, starting with a letter or digit');
  return '';
}

function parseText(value: unknown, path: string, limit: number, report: RuleReport): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    report(path, 'must be a non-empty string');
    return undefined;
  }
  const problem = textProblem(value, limit);
  if (problem) report(path, problem);
  return value;
}

function optionalDescription(value: unknown, report: RuleReport): { description?: string } {
  if (value === undefined) return {};
  const description = parseText(value, '/description', RULE_LIMITS.descriptionLength, report);
  return description === undefined ? {} : { description };
}

function parseEnabled(value: unknown, report: RuleReport): boolean {
  if (value === undefined || typeof value === 'boolean') return value ?? true;
  report('/enabled', 'must be a boolean');
  return false;
}

function parseSeverity(value: unknown, report: RuleReport): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 10) return value;
  report('/severity', 'must be an integer 0..10');
  return 0;
}

function parseControls(value: unknown, report: RuleReport): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > RULE_LIMITS.maxControls) {
    report('/controls', `must be an array of at most ${RULE_LIMITS.maxControls} control IDs`);
    return [];
  }
  value.forEach((control, i) => {
    if (!isControlId(control)) report(`/controls/${i}`, 'is not a control ID of REQUIREMENTS.md');
    else if (value.indexOf(control) !== i) report(`/controls/${i}`, 'is a duplicate');
  });
  return value.filter(isControlId);
}

function integerIn(
  value: unknown,
  path: string,
  min: number,
  max: number,
  report: RuleReport,
  hint = '',
): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  report(path, `must be an integer ${min}..${max}${hint}`);
  return min;
}

function parseDetect(value: unknown, budget: LeafBudget, report: RuleReport): RuleDetect | undefined {
  if (!isPlainObject(value) || typeof value.kind !== 'string' || !Object.hasOwn(DETECT_MEMBERS, value.kind)) {
    report('/detect', 'must be an object whose kind is match, threshold, sequence or spread');
    return undefined;
  }
  const kind = value.kind as RuleDetect['kind'];
  for (const key of Object.keys(value)) {
    if (!DETECT_MEMBERS[kind].has(key))
      report(`/detect${jsonPointer(key)}`, `is not a member of a ${kind} rule`);
  }
  const window = (key: 'windowSeconds' | 'withinSeconds'): number =>
    integerIn(value[key], `/detect/${key}`, 1, RULE_LIMITS.maxWindowSeconds, report, ' (24 h)');
  switch (kind) {
    case 'match':
      return { kind };
    case 'threshold': {
      const per = value.per;
      if (per !== 'device' && per !== 'group' && per !== 'fleet') {
        report('/detect/per', 'must be device, group or fleet');
      }
      return {
        kind,
        count: integerIn(
          value.count,
          '/detect/count',
          2,
          RULE_LIMITS.maxThresholdCount,
          report,
          ' (1 is kind match)',
        ),
        windowSeconds: window('windowSeconds'),
        per: per === 'group' || per === 'fleet' ? per : 'device',
      };
    }
    case 'sequence':
      return { kind, steps: parseSteps(value.steps, budget, report), withinSeconds: window('withinSeconds') };
    case 'spread':
      return {
        kind,
        devices: integerIn(value.devices, '/detect/devices', 2, RULE_LIMITS.maxSpreadDevices, report),
        windowSeconds: window('windowSeconds'),
      };
  }
}

function parseSteps(value: unknown, budget: LeafBudget, report: RuleReport): RuleCondition[] {
  if (!Array.isArray(value) || value.length < 2) {
    report('/detect/steps', 'must be an array of at least 2 conditions');
    return [];
  }
  if (value.length > RULE_LIMITS.maxSequenceSteps) {
    report('/detect/steps', `has ${value.length} steps, limit ${RULE_LIMITS.maxSequenceSteps}`, true);
    return [];
  }
  const steps = value.map((step, i) => parseCondition(step, `/detect/steps/${i}`, 1, budget, report));
  return steps.filter((step) => step !== undefined);
}

function parseSuppress(value: unknown, detect: RuleDetect | undefined, report: RuleReport): number {
  if (value === undefined) return detect ? defaultSuppressSeconds(detect) : 0;
  return integerIn(value, '/suppressSeconds', 0, RULE_LIMITS.maxSuppressSeconds, report);
}

function parseActions(value: unknown, report: RuleReport): readonly RuleAction[] {
  if (value === undefined) return [{ type: 'alert' }];
  if (!Array.isArray(value) || value.length === 0 || value.length > RULE_LIMITS.maxActions) {
    report('/actions', `must be an array of 1..${RULE_LIMITS.maxActions} actions`);
    return [];
  }
  const actions: RuleAction[] = [];
  const seen = new Set<string>();
  value.forEach((item, i) => {
    const action = parseAction(item, `/actions/${i}`, report);
    if (action === undefined) return;
    const identity = action.type === 'webhook' ? `webhook:${action.exporterId}` : action.type;
    if (seen.has(identity)) report(`/actions/${i}`, 'is a duplicate');
    seen.add(identity);
    actions.push(action);
  });
  return actions;
}

function parseAction(value: unknown, path: string, report: RuleReport): RuleAction | undefined {
  if (!isPlainObject(value)) {
    report(path, 'must be an object with a type: alert, quarantine or webhook');
    return undefined;
  }
  const type = value.type;
  const allowed = type === 'webhook' ? ['type', 'exporterId'] : ['type'];
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) report(`${path}${jsonPointer(key)}`, 'is not an allowed member');
  }
  if (type === 'alert' || type === 'quarantine') return { type };
  if (type !== 'webhook') {
    report(`${path}/type`, 'must be alert, quarantine or webhook');
    return undefined;
  }
  const exporterId = value.exporterId;
  if (typeof exporterId === 'string' && EXPORTER_ID_PATTERN.test(exporterId)) {
    return { type, exporterId: exporterId.toLowerCase() };
  }
  report(`${path}/exporterId`, 'must be the UUID of a SIEM exporter');
  return undefined;
}
