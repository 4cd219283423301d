import type { SecurityEvent } from '../events/security-event.ts';
import type { Detector, KeyClock } from './detector.ts';
import { deviceKey } from './detector.ts';
import { RecentKeys } from './recent-keys.ts';
import type { Detection, RuleStateSize } from './rule-firing.ts';

/**
 * `detect: match`: every matching event fires, suppressed per device (panel
 * events about no device share the `fleet` key). With suppressSeconds 0 it
 * keeps no state at all.
 */
export class MatchDetector implements Detector {
  readonly #keys: RecentKeys<KeyClock>;

  constructor(maxKeys: number) {
    this.#keys = new RecentKeys(maxKeys);
  }

  observe(
    event: SecurityEvent,
    _group: string | null,
    at: number,
    suppressMs: number,
  ): Detection | undefined {
    const key = deviceKey(event) ?? 'fleet';
    const fired = (time: number): Detection => ({
      key,
      eventIds: [event.id],
      eventCount: 1,
      firstAt: time,
      lastAt: time,
    });
    if (suppressMs === 0) return fired(at);
    const clock = this.#keys.touch(key);
    const time = Math.max(at, clock?.lastAt ?? at);
    if (clock !== undefined && time < clock.suppressedUntil) {
      clock.lastAt = time;
      return undefined;
    }
    this.#keys.set(key, { lastAt: time, suppressedUntil: time + suppressMs });
    return fired(time);
  }

  size(): RuleStateSize {
    return { keys: this.#keys.size, entries: 0 };
  }
}
