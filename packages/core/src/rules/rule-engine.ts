import { canonicalJson } from '../encoding/canonical-json.ts';
import type { FieldProblem } from '../errors/palisade-error.ts';
import type { SecurityEvent } from '../events/security-event.ts';
import type { EventPredicate } from './compile-condition.ts';
import { compileCondition } from './compile-condition.ts';
import type { Detector } from './detector.ts';
import { MatchDetector } from './match-detector.ts';
import type { RuleDocument } from './rule-document.ts';
import { RuleError } from './rule-error.ts';
import type { RuleFiring, RuleStateSize } from './rule-firing.ts';
import { SequenceDetector } from './sequence-detector.ts';
import { SpreadDetector } from './spread-detector.ts';
import { ThresholdDetector } from './threshold-detector.ts';

export interface RuleEngineOptions {
  /** Keys (devices, groups) each rule keeps state for; the least recently seen is evicted. Default 100,000. */
  readonly maxKeysPerRule?: number;
}

export interface EvaluationContext {
  /** The device's group, for `group` conditions and per-group thresholds; null when it has none. */
  readonly group: string | null;
  /** The evaluator's clock, ms since the epoch: panel receive time, or device time on the agent. */
  readonly at: number;
}

interface LoadedRule {
  readonly rule: RuleDocument;
  /** The parts of the rule its state depends on: state survives a reload only if they are unchanged. */
  readonly fingerprint: string;
  readonly match: EventPredicate | undefined;
  readonly detector: Detector;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * Evaluates detection rules over a stream of events (SI-2, SI-3), in the
 * panel for every rule and on a device for the `deviceEvaluable` subset.
 * Per event it costs O(total leaves of the loaded rules) plus O(1) amortised
 * per matching rule; its memory is bounded by `maxKeysPerRule` keys per rule,
 * whatever the input.
 *
 * @example
 * const engine = new RuleEngine({});
 * engine.load(rules.map(parseRuleDocument));
 * for (const firing of engine.evaluate(event, { group: device.group, at: Date.now() })) raise(firing);
 */
export class RuleEngine {
  readonly #maxKeys: number;
  #rules: readonly LoadedRule[] = [];

  constructor(options: RuleEngineOptions = {}) {
    const maxKeys = options.maxKeysPerRule ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new RangeError('maxKeysPerRule must be a positive integer');
    this.#maxKeys = maxKeys;
  }

  /**
   * Replaces the rule set. A rule whose id, `match` and `detect` are unchanged
   * keeps its windows, progress and suppression (a title, severity or action
   * edit does not reset a threshold); any other rule starts empty. Disabled
   * rules are dropped. Throws RULE_INVALID if two rules share an id.
   */
  load(rules: readonly RuleDocument[]): void {
    const problems: FieldProblem[] = [];
    const seen = new Map<string, number>();
    rules.forEach((rule, i) => {
      const first = seen.get(rule.id);
      if (first !== undefined) problems.push({ path: `/${i}/id`, message: `duplicates the id of /${first}` });
      else seen.set(rule.id, i);
    });
    if (problems.length > 0)
      throw new RuleError('RULE_INVALID', 'rule set rejected: duplicate rule ids', problems);
    const previous = new Map(this.#rules.map((loaded) => [loaded.rule.id, loaded]));
    this.#rules = rules
      .filter((rule) => rule.enabled)
      .map((rule) => {
        const fingerprint = canonicalJson({ match: rule.match ?? null, detect: rule.detect });
        const kept = previous.get(rule.id);
        if (kept !== undefined && kept.fingerprint === fingerprint) return { ...kept, rule };
        return {
          rule,
          fingerprint,
          match: rule.match === undefined ? undefined : compileCondition(rule.match),
          detector: this.#detectorFor(rule),
        };
      });
  }

  /** The firings this event causes, in rule order; usually none. Never throws for any event. */
  evaluate(event: SecurityEvent, context: EvaluationContext): RuleFiring[] {
    if (!Number.isFinite(context.at)) throw new RangeError('context.at must be a finite time in ms');
    const firings: RuleFiring[] = [];
    for (const { rule, match, detector } of this.#rules) {
      if (match !== undefined && !match(event, context.group)) continue;
      const detection = detector.observe(event, context.group, context.at, rule.suppressSeconds * 1000);
      if (detection === undefined) continue;
      firings.push({
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        controls: rule.controls,
        actions: rule.actions,
        kind: rule.detect.kind,
        ...detection,
      });
    }
    return firings;
  }

  /** State held over every loaded rule, for metrics and tests. */
  stateSize(): RuleStateSize {
    let keys = 0;
    let entries = 0;
    for (const { detector } of this.#rules) {
      const size = detector.size();
      keys += size.keys;
      entries += size.entries;
    }
    return { keys, entries };
  }

  #detectorFor(rule: RuleDocument): Detector {
    const maxKeys = this.#maxKeys;
    const { detect } = rule;
    switch (detect.kind) {
      case 'match':
        return new MatchDetector(maxKeys);
      case 'threshold':
        return new ThresholdDetector({ ...detect, maxKeys });
      case 'sequence':
        return new SequenceDetector({
          steps: detect.steps.map(compileCondition),
          withinSeconds: detect.withinSeconds,
          maxKeys,
        });
      case 'spread':
        return new SpreadDetector({ ...detect, maxKeys });
    }
  }
}
