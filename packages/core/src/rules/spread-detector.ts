import type { SecurityEvent } from '../events/security-event.ts';
import type { Detector, KeyClock } from './detector.ts';
import { RecentKeys } from './recent-keys.ts';
import type { Detection, RuleStateSize } from './rule-firing.ts';
import { MAX_FIRING_EVENTS } from './rule-firing.ts';

interface DeviceSighting {
  readonly at: number;
  readonly eventId: string;
}

/**
 * `detect: spread`: fires when matching events come from at least `devices`
 * distinct devices within the sliding window [t − window, t] (a worm, or one
 * stolen credential tried across the fleet). One fleet-wide key: a map
 * device → its latest matching event, in order of time, pruned from the old
 * end as the window slides (amortised O(1) per event).
 */
export class SpreadDetector implements Detector {
  readonly #sightings: RecentKeys<DeviceSighting>;
  readonly #devices: number;
  readonly #windowMs: number;
  readonly #clock: KeyClock = { lastAt: Number.NEGATIVE_INFINITY, suppressedUntil: Number.NEGATIVE_INFINITY };

  constructor(options: { devices: number; windowSeconds: number; maxKeys: number }) {
    // A cap below `devices` would make the rule unable to ever fire; devices is itself ≤ 100,000.
    this.#sightings = new RecentKeys(Math.max(options.maxKeys, options.devices));
    this.#devices = options.devices;
    this.#windowMs = options.windowSeconds * 1000;
  }

  observe(
    event: SecurityEvent,
    _group: string | null,
    at: number,
    suppressMs: number,
  ): Detection | undefined {
    if (event.deviceId === null) return undefined;
    const time = Math.max(at, this.#clock.lastAt);
    this.#clock.lastAt = time;
    const sighting = { deviceId: event.deviceId, at: time, eventId: event.id };
    this.#sightings.set(event.deviceId, sighting);
    for (let oldest = this.#sightings.oldest(); oldest !== undefined; oldest = this.#sightings.oldest()) {
      if (time - oldest[1].at <= this.#windowMs) break;
      this.#sightings.delete(oldest[0]);
    }
    const distinct = this.#sightings.size;
    if (distinct < this.#devices || time < this.#clock.suppressedUntil) return undefined;
    this.#clock.suppressedUntil = time + suppressMs;
    const listed = this.#listed(sighting);
    return {
      key: 'fleet',
      eventIds: listed.map(([, sighting]) => sighting.eventId),
      eventCount: distinct,
      firstAt: listed[0]?.[1].at ?? time,
      lastAt: time,
      devices: listed.map(([device]) => device),
    };
  }

  /** The oldest sightings of the window and the triggering one: O(MAX_FIRING_EVENTS), not O(devices). */
  #listed(trigger: DeviceSighting & { readonly deviceId: string }): [string, DeviceSighting][] {
    const listed: [string, DeviceSighting][] = [];
    for (const entry of this.#sightings.entries()) {
      if (listed.length === MAX_FIRING_EVENTS - 1 || entry[0] === trigger.deviceId) break;
      listed.push(entry);
    }
    listed.push([trigger.deviceId, trigger]);
    return listed;
  }

  size(): RuleStateSize {
    return { keys: this.#clock.lastAt === Number.NEGATIVE_INFINITY ? 0 : 1, entries: this.#sightings.size };
  }
}
