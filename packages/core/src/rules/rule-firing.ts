import type { DetectKind, RuleAction } from './rule-document.ts';

/** At most this many event IDs (and devices, for spread) are listed in one firing. */
export const MAX_FIRING_EVENTS = 100;

/**
 * What a detector found, before the engine adds the rule's current title,
 * severity and actions (SI-3: alerts carry the triggering events).
 */
export interface Detection {
  /** `device:<id>`, `group:<id>` or `fleet`: whose events the detection counted together. */
  readonly key: string;
  /** The triggering events, oldest first, at most MAX_FIRING_EVENTS (the most recent ones). */
  readonly eventIds: readonly string[];
  /** How many events the detection covers: the window's count, the steps, or the distinct devices. */
  readonly eventCount: number;
  /** Evaluator clock (ms) of the first and last event of the detection. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Spread only: the distinct devices in the window, most recent last, at most MAX_FIRING_EVENTS. */
  readonly devices?: readonly string[];
}

/** One rule firing: the alert to raise, and the actions to run, for one key. */
export interface RuleFiring extends Detection {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: number;
  readonly controls: readonly string[];
  readonly actions: readonly RuleAction[];
  readonly kind: DetectKind;
}

/** State a detector holds, for metrics and the tests' bounds. */
export interface RuleStateSize {
  /** Keys (devices, groups, the fleet) with state, over every rule. */
  readonly keys: number;
  /** Timestamps, sequence progress records and spread devices held, over every rule. */
  readonly entries: number;
}
