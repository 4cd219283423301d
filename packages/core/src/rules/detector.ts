import type { SecurityEvent } from '../events/security-event.ts';
import type { Detection, RuleStateSize } from './rule-firing.ts';

/**
 * The state machine of one rule's detect kind. The engine has already checked
 * the rule's `match`; the detector decides whether this event completes a
 * detection, applies suppression, and keeps its state bounded.
 */
export interface Detector {
  /**
   * `at` is the evaluator's clock in ms. Per key it never runs backwards: an
   * earlier time counts as the key's latest, so a device clock stepping back
   * cannot reopen a window or end a suppression early.
   */
  observe(event: SecurityEvent, group: string | null, at: number, suppressMs: number): Detection | undefined;
  size(): RuleStateSize;
}

/** The per-key clock and suppression every detector keeps. */
export interface KeyClock {
  lastAt: number;
  /** The key stays silent while the clock is below this (firing time + suppressSeconds). */
  suppressedUntil: number;
}

/** `device:<id>` for an event about a device, undefined for a panel event about none. */
export function deviceKey(event: SecurityEvent): string | undefined {
  return event.deviceId === null ? undefined : `device:${event.deviceId}`;
}
