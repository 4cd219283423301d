import type { RuleCondition, RuleLeaf } from './rule-document.ts';

/**
 * Whether a condition is anchored: every way of satisfying it needs at least
 * one positive, value-bearing test of the event (eq, in, contains,
 * startsWith, endsWith, a glob with a literal character, or a numeric
 * comparison that not every value passes). `all` is anchored if one child
 * is, `any` only if every child is, and `not` never is.
 *
 * This is how Palisade refuses rules "that would match everything in a tight
 * loop" (events issue 6): `exists type`, `ne x`, `not …` and `glob *` match
 * almost every event, so a rule made only of them is an error. Requiring a
 * test of `type` specifically would refuse legitimate rules (and most Sigma
 * rules, which test their log source's fields); what such a rule costs is
 * bounded anyway by suppression and the engine's per-rule key cap.
 */
export function isAnchored(condition: RuleCondition): boolean {
  if ('all' in condition) return condition.all.some(isAnchored);
  if ('any' in condition) return condition.any.every(isAnchored);
  if ('not' in condition) return false;
  return leafAnchors(condition);
}

function leafAnchors(leaf: RuleLeaf): boolean {
  switch (leaf.op) {
    case 'eq':
    case 'in':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return true;
    case 'glob':
      return hasLiteral(leaf.value);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return leaf.field !== 'severity' || !holdsForEverySeverity(leaf.op, leaf.value);
    case 'ne':
    case 'exists':
      return false;
  }
}

function hasLiteral(glob: string): boolean {
  return [...glob].some((char) => char !== '*' && char !== '?');
}

/** Severity is an integer 0–10 (EVENT model), so `severity gte 0` constrains nothing. */
function holdsForEverySeverity(op: 'gt' | 'gte' | 'lt' | 'lte', bound: number): boolean {
  switch (op) {
    case 'gt':
      return bound < 0;
    case 'gte':
      return bound <= 0;
    case 'lt':
      return bound > 10;
    case 'lte':
      return bound >= 10;
  }
}
