import { parseRuleDocument } from '../rules/parse-rule-document.ts';
import type { RuleDocument } from '../rules/rule-document.ts';
import { deviceEvaluable } from '../rules/rule-document.ts';
import { RuleError } from '../rules/rule-error.ts';
import type { Report, TextRule } from './policy-input.ts';
import { arrayAt, integerAt, objectAt, optionalMember, stringAt } from './policy-input.ts';
import { PATTERNS, TEXT_LIMITS } from './policy-patterns.ts';
import type { EventForwarding, SiemPolicy } from './siem-policy.ts';
import { SIEM_LIMITS } from './siem-policy.ts';

const TYPE_FILTER: TextRule = {
  pattern: PATTERNS.eventTypeFilter,
  maxLength: TEXT_LIMITS.eventTypeFilter,
  what: 'an event type (fim.modified) or a prefix ending in .* (fim.*)',
};
const FILTER_LIST = { minItems: 1, maxItems: SIEM_LIMITS.typeFilters, unique: true } as const;

/**
 * Parses a `siem` document. Each rule goes through parseRuleDocument (its
 * problems re-rooted under `/rules/<i>`), must be one an agent can evaluate
 * alone (deviceEvaluable), and rule ids are unique.
 */
export function parseSiemPolicy(input: unknown, path: string, report: Report): SiemPolicy {
  const doc = objectAt(input, path, ['forward', 'rules'], report);
  const r = doc.report;
  const forward = parseForward(doc.value.forward, `${path}/forward`, r);
  const rules = arrayAt(
    doc.value.rules,
    `${path}/rules`,
    { maxItems: SIEM_LIMITS.rules },
    (item, at) => parseDeviceRule(item, at, r),
    r,
  );
  const first = new Map<string, number>();
  rules.forEach((rule, index) => {
    if (rule === undefined) return;
    const earlier = first.get(rule.id);
    if (earlier === undefined) first.set(rule.id, index);
    else r(`${path}/rules/${index}/id`, `is already used by ${path}/rules/${earlier}`);
  });
  return {
    forward,
    rules: rules.filter((rule) => rule !== undefined),
  };
}

function parseForward(input: unknown, path: string, report: Report): EventForwarding {
  const { value, report: r } = objectAt(input, path, ['minSeverity', 'includeTypes', 'excludeTypes'], report);
  const list = (member: 'includeTypes' | 'excludeTypes'): string[] | undefined =>
    value[member] === undefined
      ? undefined
      : arrayAt(
          value[member],
          `${path}/${member}`,
          FILTER_LIST,
          (item, at) => stringAt(item, at, TYPE_FILTER, r),
          r,
        );
  return {
    minSeverity: integerAt(value.minSeverity, `${path}/minSeverity`, { min: 0, max: 10 }, r),
    ...optionalMember('includeTypes', list('includeTypes')),
    ...optionalMember('excludeTypes', list('excludeTypes')),
  };
}

function parseDeviceRule(input: unknown, path: string, report: Report): RuleDocument | undefined {
  try {
    const rule = parseRuleDocument(input);
    if (!deviceEvaluable(rule))
      report(
        path,
        'cannot be evaluated on a device: only match rules and per-device thresholds that do not test group',
      );
    return rule;
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    for (const problem of error.problems) report(`${path}${problem.path}`, problem.message);
    if (error.problems.length === 0) report(path, error.message);
    return undefined;
  }
}
