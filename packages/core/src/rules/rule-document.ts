/**
 * The detection-rule document (SI-2: rules distributed as JSON over the REST
 * API, evaluated in the panel and, for a subset, on the devices). Build it
 * with `parseRuleDocument`; the engine trusts its limits.
 */

/** Event members a condition can test; `group` is the device's group, given by the evaluator. */
export type RuleMemberField = 'type' | 'severity' | 'source' | 'deviceId' | 'message' | 'controls' | 'group';
/** A member, or `fields.<key>` for one typed event field (FIELD_KEY_PATTERN). */
export type RuleField = RuleMemberField | `fields.${string}`;

export type RuleScalar = string | number | boolean;

interface LeafBase {
  readonly field: RuleField;
  /** Fold case (String.prototype.toLowerCase) of both sides; string operators only. Default: exact. */
  readonly caseInsensitive?: boolean;
}
export interface EqualityLeaf extends LeafBase {
  readonly op: 'eq' | 'ne';
  readonly value: RuleScalar;
}
export interface InLeaf extends LeafBase {
  readonly op: 'in';
  readonly value: readonly RuleScalar[];
}
export interface TextLeaf extends LeafBase {
  /** `glob`: `*` any run, `?` one character, `\` escapes `*`, `?` and `\` (rule-glob.ts). */
  readonly op: 'contains' | 'startsWith' | 'endsWith' | 'glob';
  readonly value: string;
}
export interface NumberLeaf extends LeafBase {
  readonly op: 'gt' | 'gte' | 'lt' | 'lte';
  readonly value: number;
}
export interface ExistsLeaf extends LeafBase {
  readonly op: 'exists';
  readonly value: boolean;
}
export type RuleLeaf = EqualityLeaf | InLeaf | TextLeaf | NumberLeaf | ExistsLeaf;
export type RuleOperator = RuleLeaf['op'];

/**
 * A condition tree. There is deliberately no regular-expression operator:
 * a backtracking RegExp written by a rule author would run on every event
 * from every device, and one catastrophic pattern (`(a+)+$`) stalls the
 * panel; `glob` covers the wildcard matching Sigma rules need, in O(n·m).
 */
export type RuleCondition =
  | { readonly all: readonly RuleCondition[] }
  | { readonly any: readonly RuleCondition[] }
  | { readonly not: RuleCondition }
  | RuleLeaf;

/** Whose events a threshold counts together: one device, the device's group, or the fleet. */
export type ThresholdScope = 'device' | 'group' | 'fleet';

export type RuleDetect =
  /** Every matching event fires (subject to suppression, per device). */
  | { readonly kind: 'match' }
  /** Fires when the matching events of one key within the sliding window reach `count`. */
  | {
      readonly kind: 'threshold';
      readonly count: number;
      readonly windowSeconds: number;
      readonly per: ThresholdScope;
    }
  /** Fires when one device produces events matching each step, in order, within `withinSeconds`. */
  | { readonly kind: 'sequence'; readonly steps: readonly RuleCondition[]; readonly withinSeconds: number }
  /** Fires when matching events come from at least `devices` distinct devices within the window. */
  | { readonly kind: 'spread'; readonly devices: number; readonly windowSeconds: number };
export type DetectKind = RuleDetect['kind'];

export type RuleAction =
  | { readonly type: 'alert' }
  | { readonly type: 'quarantine' }
  | { readonly type: 'webhook'; readonly exporterId: string };

export interface RuleDocument {
  /** Slug, stable across versions of the rule: RULE_ID_PATTERN. */
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  /** Default true; the engine ignores a disabled rule. */
  readonly enabled: boolean;
  /** 0–10, the severity of the alert the rule raises. */
  readonly severity: number;
  /** REQUIREMENTS.md control IDs the alert is evidence for; default none. */
  readonly controls: readonly string[];
  /** Every event the rule considers must satisfy it; optional for sequences only (a prefilter for the steps). */
  readonly match?: RuleCondition;
  readonly detect: RuleDetect;
  /** After firing, the same rule and key stay silent this long; default the window, or 60. */
  readonly suppressSeconds: number;
  /** Default `[{ type: 'alert' }]`. */
  readonly actions: readonly RuleAction[];
}

export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Limits on one rule. They bound what a rule costs per event (leaves, depth,
 * `in` lengths, glob lengths) and in memory (counts, windows, steps), so that
 * an operator's mistake or a hostile API client cannot stall evaluation.
 */
export const RULE_LIMITS = {
  /** UTF-8 bytes of the document as JSON. */
  maxDocumentBytes: 65_536,
  /** Nesting of all/any/not; a lone leaf has depth 1. */
  maxDepth: 8,
  /** Leaves in `match` plus every sequence step. */
  maxLeaves: 64,
  maxInValues: 256,
  maxStringLength: 1024,
  /** Glob matching is O(|value|·|pattern|): a shorter pattern keeps that under 2048 × 256 steps. */
  maxGlobLength: 256,
  titleLength: 200,
  descriptionLength: 2000,
  maxWindowSeconds: 86_400,
  maxSuppressSeconds: 86_400,
  maxThresholdCount: 100_000,
  maxSpreadDevices: 100_000,
  maxSequenceSteps: 8,
  maxActions: 8,
  maxControls: 16,
} as const;

/** The suppression a rule gets when it names none: its window, or 60 seconds. */
export function defaultSuppressSeconds(detect: RuleDetect): number {
  switch (detect.kind) {
    case 'match':
      return 60;
    case 'threshold':
    case 'spread':
      return detect.windowSeconds;
    case 'sequence':
      return detect.withinSeconds;
  }
}

/**
 * True for the rules an agent can evaluate on its own device: it sees only
 * its own events and knows nothing of groups, so `match` rules and per-device
 * thresholds that never test `group`.
 */
export function deviceEvaluable(rule: RuleDocument): boolean {
  const kindFits =
    rule.detect.kind === 'match' || (rule.detect.kind === 'threshold' && rule.detect.per === 'device');
  return kindFits && (rule.match === undefined || !testsGroup(rule.match));
}

function testsGroup(condition: RuleCondition): boolean {
  if ('all' in condition) return condition.all.some(testsGroup);
  if ('any' in condition) return condition.any.some(testsGroup);
  if ('not' in condition) return testsGroup(condition.not);
  return condition.field === 'group';
}
