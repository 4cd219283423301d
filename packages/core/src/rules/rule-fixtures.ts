/** Test-only builders for rule tests: events with readable defaults, and a rule parser with shorthands. */
import assert from 'node:assert/strict';
import type { SecurityEvent } from '../events/security-event.ts';
import { parseRuleDocument } from './parse-rule-document.ts';
import type { RuleDocument } from './rule-document.ts';
import { RuleError } from './rule-error.ts';

let counter = 0;

/** A device event (gw-1, auth.login-failed) with a fresh id `e<n>`; override any member. */
export function loginFailed(overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  counter += 1;
  return {
    id: `e${counter}`,
    source: 'device',
    deviceId: 'gw-1',
    type: 'auth.login-failed',
    severity: 5,
    controls: ['PD-3', 'SI-3'],
    message: 'Local login failed',
    occurredAt: '2026-03-01T12:00:00.000Z',
    receivedAt: '2026-03-01T12:00:00.000Z',
    fields: { user: 'root', source: '192.0.2.7' },
    ...overrides,
  };
}

/** An event of another type for `deviceId`, e.g. a sequence step. */
export function eventOf(
  type: string,
  deviceId: string | null,
  fields: SecurityEvent['fields'] = {},
): SecurityEvent {
  return loginFailed({ type, deviceId, fields, source: deviceId === null ? 'panel' : 'device' });
}

/** parseRuleDocument with id, title and severity filled in. */
export function rule(members: Record<string, unknown>): RuleDocument {
  return parseRuleDocument({ id: 'test-rule', title: 'Test rule', severity: 5, ...members });
}

export const LOGIN_FAILED = { field: 'type', op: 'eq', value: 'auth.login-failed' } as const;

/** The JSON pointers of the RuleError `run` throws, asserting its code. */
export function rejection(run: () => unknown, code: RuleError['code'] = 'RULE_INVALID'): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof RuleError, String(error));
    assert.equal(error.code, code, `${error.code}: ${error.message} ${JSON.stringify(error.problems)}`);
    return error.problems.map((p) => p.path);
  }
  assert.fail(`expected a RuleError ${code}`);
}

/** Seconds as ms, from an arbitrary epoch: tests read as "at 10 s, at 70 s". */
export const s = (seconds: number): number => 1_772_366_400_000 + seconds * 1000;
