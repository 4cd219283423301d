import type { SecurityEvent } from '../events/security-event.ts';
import type { EventPredicate } from './compile-condition.ts';
import type { Detector, KeyClock } from './detector.ts';
import { deviceKey } from './detector.ts';
import { RecentKeys } from './recent-keys.ts';
import type { Detection, RuleStateSize } from './rule-firing.ts';

/** A run that has matched steps 0..i: when its first step happened, and its events. */
interface PartialRun {
  readonly start: number;
  readonly ids: readonly string[];
}

interface ProgressState extends KeyClock {
  /** partials[i]: the latest-starting run that has matched steps 0..i; i < steps - 1. */
  readonly partials: (PartialRun | undefined)[];
}

/**
 * `detect: sequence`: fires when one device produces events matching each
 * step in order, the last within `withinSeconds` of the first. Events between
 * the steps are allowed; an event counts for at most one step of a run.
 *
 * Per device it keeps, for each step, only the run that reached it with the
 * latest start: a later start leaves more time for the remaining steps, so
 * no other run can complete where that one would not (which a single
 * "current progress" record gets wrong: A, A, B with the first A too old).
 * That is at most steps − 1 small records per device, O(steps) per event.
 */
export class SequenceDetector implements Detector {
  readonly #keys: RecentKeys<ProgressState>;
  readonly #steps: readonly EventPredicate[];
  readonly #withinMs: number;

  constructor(options: { steps: readonly EventPredicate[]; withinSeconds: number; maxKeys: number }) {
    this.#keys = new RecentKeys(options.maxKeys);
    this.#steps = options.steps;
    this.#withinMs = options.withinSeconds * 1000;
  }

  observe(event: SecurityEvent, group: string | null, at: number, suppressMs: number): Detection | undefined {
    const key = deviceKey(event);
    if (key === undefined) return undefined;
    const last = this.#steps.length - 1;
    let state = this.#keys.touch(key);
    const time = Math.max(at, state?.lastAt ?? at);
    let completed: PartialRun | undefined;
    if (state !== undefined) {
      state.lastAt = time;
      const { partials } = state;
      // Downwards, so that this event extends runs as they were before it: it is never two steps at once.
      for (let i = last; i >= 1; i -= 1) {
        const run = partials[i - 1];
        if (run === undefined || time - run.start > this.#withinMs) continue;
        if (!this.#steps[i]?.(event, group)) continue;
        const extended = { start: run.start, ids: [...run.ids, event.id] };
        if (i === last) completed = extended;
        else if ((partials[i]?.start ?? Number.NEGATIVE_INFINITY) <= run.start) partials[i] = extended;
      }
    }
    if (this.#steps[0]?.(event, group)) {
      if (state === undefined) {
        state = { partials: [], lastAt: time, suppressedUntil: Number.NEGATIVE_INFINITY };
        this.#keys.set(key, state);
      }
      state.partials[0] = { start: time, ids: [event.id] };
    }
    if (state === undefined) return undefined;
    const { partials } = state;
    for (let i = 0; i < partials.length; i += 1) {
      const run = partials[i];
      if (completed !== undefined || (run !== undefined && time - run.start > this.#withinMs))
        partials[i] = undefined;
    }
    const suppressed = time < state.suppressedUntil;
    if (!suppressed && partials.every((run) => run === undefined)) this.#keys.delete(key);
    if (completed === undefined || suppressed) return undefined;
    state.suppressedUntil = time + suppressMs;
    if (suppressMs > 0) this.#keys.set(key, state);
    return {
      key,
      eventIds: completed.ids,
      eventCount: completed.ids.length,
      firstAt: completed.start,
      lastAt: time,
    };
  }

  size(): RuleStateSize {
    let entries = 0;
    for (const state of this.#keys.values())
      entries += state.partials.filter((run) => run !== undefined).length;
    return { keys: this.#keys.size, entries };
  }
}
