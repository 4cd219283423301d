import type { SecurityEvent } from '../events/security-event.ts';
import type { Detector, KeyClock } from './detector.ts';
import { deviceKey } from './detector.ts';
import { RecentKeys } from './recent-keys.ts';
import type { ThresholdScope } from './rule-document.ts';
import type { Detection, RuleStateSize } from './rule-firing.ts';
import { MAX_FIRING_EVENTS } from './rule-firing.ts';

/** The matching events of one key still in the window, oldest first, from `head` on. */
interface WindowState extends KeyClock {
  readonly times: number[];
  readonly ids: string[];
  head: number;
}

/**
 * `detect: threshold`: fires when the matching events of one key within the
 * sliding window [t − window, t] reach `count` (the count-th event fires, not
 * the one after). Sliding, not tumbling: every event re-counts the window
 * that ends at it. Each key keeps at most `count` timestamps and IDs, dropping
 * the oldest, so a key's state is bounded by min(count, events in window).
 */
export class ThresholdDetector implements Detector {
  readonly #keys: RecentKeys<WindowState>;
  readonly #count: number;
  readonly #windowMs: number;
  readonly #per: ThresholdScope;

  constructor(options: { count: number; windowSeconds: number; per: ThresholdScope; maxKeys: number }) {
    this.#keys = new RecentKeys(options.maxKeys);
    this.#count = options.count;
    this.#windowMs = options.windowSeconds * 1000;
    this.#per = options.per;
  }

  observe(event: SecurityEvent, group: string | null, at: number, suppressMs: number): Detection | undefined {
    const key = this.#keyOf(event, group);
    if (key === undefined) return undefined;
    let state = this.#keys.touch(key);
    if (state === undefined) {
      state = { times: [], ids: [], head: 0, lastAt: at, suppressedUntil: Number.NEGATIVE_INFINITY };
      this.#keys.set(key, state);
    }
    const time = Math.max(at, state.lastAt);
    state.lastAt = time;
    const { times, ids } = state;
    while (state.head < times.length && time - (times[state.head] ?? time) > this.#windowMs) state.head += 1;
    times.push(time);
    ids.push(event.id);
    if (times.length - state.head > this.#count) state.head += 1;
    compact(state);
    const inWindow = times.length - state.head;
    if (inWindow < this.#count || time < state.suppressedUntil) return undefined;
    state.suppressedUntil = time + suppressMs;
    return {
      key,
      eventIds: ids.slice(Math.max(state.head, ids.length - MAX_FIRING_EVENTS)),
      eventCount: inWindow,
      firstAt: times[state.head] ?? time,
      lastAt: time,
    };
  }

  size(): RuleStateSize {
    let entries = 0;
    for (const state of this.#keys.values()) entries += state.times.length - state.head;
    return { keys: this.#keys.size, entries };
  }

  #keyOf(event: SecurityEvent, group: string | null): string | undefined {
    switch (this.#per) {
      case 'device':
        return deviceKey(event);
      case 'group':
        // Events of ungrouped devices (and panel events) have no group to count them in.
        return group === null ? undefined : `group:${group}`;
      case 'fleet':
        return 'fleet';
    }
  }
}

/** Drops the expired prefix once it is most of the arrays: amortised O(1) per event. */
function compact(state: WindowState): void {
  if (state.head < 32 || state.head * 2 < state.times.length) return;
  state.times.splice(0, state.head);
  state.ids.splice(0, state.head);
  state.head = 0;
}
