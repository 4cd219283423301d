import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecurityEvent } from '../events/security-event.ts';
import type { RuleDocument } from './rule-document.ts';
import type { EvaluationContext } from './rule-engine.ts';
import { RuleEngine } from './rule-engine.ts';
import { eventOf, LOGIN_FAILED, loginFailed, rejection, rule, s } from './rule-fixtures.ts';

/** The rule ids that fire for each [event, at, group?] in turn, one array per event. */
function run(
  rules: RuleDocument[],
  stream: [SecurityEvent, number, string?][],
  engine = new RuleEngine(),
): string[][] {
  engine.load(rules);
  return stream.map(([event, at, group]) =>
    engine.evaluate(event, { at, group: group ?? null }).map((f) => f.ruleId),
  );
}

const threshold = (count: number, windowSeconds: number, per: string, extra: Record<string, unknown> = {}) =>
  rule({
    id: 'brute',
    match: LOGIN_FAILED,
    detect: { kind: 'threshold', count, windowSeconds, per },
    ...extra,
  });

describe('RuleEngine', () => {
  describe('match', () => {
    const tamper = rule({
      id: 'tamper',
      title: 'Tamper',
      severity: 9,
      controls: ['SI-3'],
      match: { field: 'type', op: 'eq', value: 'tamper.detected' },
      detect: { kind: 'match' },
      actions: [{ type: 'alert' }, { type: 'quarantine' }],
    });

    it('fires once per matching event with the rule, key and event', () => {
      const engine = new RuleEngine();
      engine.load([tamper]);
      const event = eventOf('tamper.detected', 'gw-1');
      assert.deepEqual(engine.evaluate(event, { at: s(0), group: null }), [
        {
          ruleId: 'tamper',
          title: 'Tamper',
          severity: 9,
          controls: ['SI-3'],
          actions: [{ type: 'alert' }, { type: 'quarantine' }],
          kind: 'match',
          key: 'device:gw-1',
          eventIds: [event.id],
          eventCount: 1,
          firstAt: s(0),
          lastAt: s(0),
        },
      ]);
      assert.deepEqual(engine.evaluate(loginFailed(), { at: s(1), group: null }), []);
    });

    it('suppresses the same device for suppressSeconds (default 60), not other devices', () => {
      const fired = run(
        [tamper],
        [
          [eventOf('tamper.detected', 'gw-1'), s(0)],
          [eventOf('tamper.detected', 'gw-1'), s(59.999)],
          [eventOf('tamper.detected', 'gw-2'), s(30)],
          [eventOf('tamper.detected', 'gw-1'), s(60)],
          [eventOf('tamper.detected', null), s(61)],
          [eventOf('tamper.detected', null), s(62)],
        ],
      );
      assert.deepEqual(fired, [['tamper'], [], ['tamper'], ['tamper'], ['tamper'], []]);
    });

    it('fires for every event with suppressSeconds 0, keeping no state', () => {
      const engine = new RuleEngine();
      const fired = run(
        [{ ...tamper, suppressSeconds: 0 }],
        [
          [eventOf('tamper.detected', 'gw-1'), s(0)],
          [eventOf('tamper.detected', 'gw-1'), s(0)],
        ],
        engine,
      );
      assert.deepEqual(fired, [['tamper'], ['tamper']]);
      assert.deepEqual(engine.stateSize(), { keys: 0, entries: 0 });
    });

    it('tests group conditions against the evaluation context', () => {
      const lab = rule({
        id: 'lab',
        match: { all: [LOGIN_FAILED, { field: 'group', op: 'eq', value: 'lab' }] },
        detect: { kind: 'match' },
      });
      assert.deepEqual(
        run(
          [lab],
          [
            [loginFailed(), s(0), 'lab'],
            [loginFailed({ deviceId: 'gw-2' }), s(0), 'plant'],
          ],
        ),
        [['lab'], []],
      );
    });
  });

  describe('threshold', () => {
    it('fires when the count-th event falls within the window, inclusive of its edge', () => {
      assert.deepEqual(
        run(
          [threshold(3, 60, 'device')],
          [
            [loginFailed(), s(0)],
            [loginFailed(), s(30)],
            [loginFailed(), s(60)],
          ],
        ),
        [[], [], ['brute']],
      );
      assert.deepEqual(
        run(
          [threshold(3, 60, 'device')],
          [
            [loginFailed(), s(0)],
            [loginFailed(), s(30)],
            [loginFailed(), s(60.001)],
          ],
        ),
        [[], [], []],
      );
    });

    it('slides: the window ends at each event, it is not cut into fixed buckets', () => {
      // Buckets [0,60) [60,120) would hold 2 and 2; the window [15, 75] holds 30, 61 and 75.
      assert.deepEqual(
        run(
          [threshold(3, 60, 'device')],
          [
            [loginFailed(), s(0)],
            [loginFailed(), s(30)],
            [loginFailed(), s(61)],
            [loginFailed(), s(75)],
          ],
        ),
        [[], [], [], ['brute']],
      );
    });

    it('lists the window and is then suppressed, firing again once suppression ends and the count is met', () => {
      const engine = new RuleEngine();
      engine.load([threshold(3, 60, 'device', { suppressSeconds: 100 })]);
      const events = Array.from({ length: 7 }, () => loginFailed());
      const at = [0, 1, 2, 3, 50, 101, 102];
      const firings = events.map((event, i) => engine.evaluate(event, { at: s(at[i] ?? 0), group: null }));
      assert.deepEqual(
        firings.map((f) => f.length),
        [0, 0, 1, 0, 0, 0, 1],
      );
      const [first] = firings[2] ?? [];
      assert.deepEqual(
        first?.eventIds,
        events.slice(0, 3).map((e) => e.id),
      );
      assert.equal(first?.key, 'device:gw-1');
      assert.equal(first?.firstAt, s(0));
      assert.equal(first?.lastAt, s(2));
      // At 102 the window [42, 102] holds 50, 101 and 102.
      assert.deepEqual(firings[6]?.[0]?.eventIds, [events[4]?.id, events[5]?.id, events[6]?.id]);
      assert.deepEqual(engine.stateSize(), { keys: 1, entries: 3 }, 'a key holds at most count timestamps');
    });

    it('counts each device apart for per device, and ignores events about no device', () => {
      assert.deepEqual(
        run(
          [threshold(2, 60, 'device')],
          [
            [loginFailed({ deviceId: 'gw-1' }), s(0)],
            [loginFailed({ deviceId: 'gw-2' }), s(1)],
            [eventOf('auth.login-failed', null), s(2)],
            [loginFailed({ deviceId: 'gw-2' }), s(3)],
          ],
        ),
        [[], [], [], ['brute']],
      );
    });

    it('counts a group together for per group, and ignores ungrouped devices', () => {
      const engine = new RuleEngine();
      engine.load([threshold(3, 60, 'group')]);
      const at = (event: SecurityEvent, context: EvaluationContext) => engine.evaluate(event, context);
      assert.equal(at(loginFailed({ deviceId: 'gw-1' }), { at: s(0), group: 'lab' }).length, 0);
      assert.equal(at(loginFailed({ deviceId: 'gw-2' }), { at: s(1), group: 'plant' }).length, 0);
      assert.equal(at(loginFailed({ deviceId: 'gw-3' }), { at: s(2), group: null }).length, 0);
      assert.equal(at(loginFailed({ deviceId: 'gw-4' }), { at: s(3), group: 'lab' }).length, 0);
      const firings = at(loginFailed({ deviceId: 'gw-5' }), { at: s(4), group: 'lab' });
      assert.deepEqual(
        firings.map((f) => [f.key, f.eventCount]),
        [['group:lab', 3]],
      );
    });

    it('counts the whole fleet for per fleet', () => {
      const fired = run(
        [threshold(2, 60, 'fleet')],
        [
          [loginFailed({ deviceId: 'gw-1' }), s(0)],
          [eventOf('auth.login-failed', null), s(1)],
        ],
      );
      assert.deepEqual(fired, [[], ['brute']]);
    });

    it('lists at most the 100 most recent event ids, and counts them all', () => {
      const engine = new RuleEngine();
      engine.load([threshold(150, 600, 'device')]);
      const events = Array.from({ length: 150 }, () => loginFailed());
      const firings = events.flatMap((event, i) => engine.evaluate(event, { at: s(i), group: null }));
      assert.equal(firings.length, 1);
      assert.equal(firings[0]?.eventCount, 150);
      assert.deepEqual(
        firings[0]?.eventIds,
        events.slice(50).map((e) => e.id),
      );
      for (let i = 150; i < 170; i += 1) engine.evaluate(loginFailed(), { at: s(i), group: null });
      assert.equal(engine.stateSize().entries, 150, 'never more than count timestamps per key');
    });

    it('never lets a key’s clock run backwards', () => {
      const engine = new RuleEngine();
      engine.load([threshold(3, 60, 'device')]);
      engine.evaluate(loginFailed(), { at: s(10), group: null });
      engine.evaluate(loginFailed(), { at: s(20), group: null });
      const [firing] = engine.evaluate(loginFailed(), { at: s(5), group: null });
      assert.deepEqual([firing?.firstAt, firing?.lastAt], [s(10), s(20)]);
    });
  });

  describe('#load', () => {
    it('keeps window state when only title, severity or actions change', () => {
      const engine = new RuleEngine();
      engine.load([threshold(3, 60, 'device')]);
      engine.evaluate(loginFailed(), { at: s(0), group: null });
      engine.evaluate(loginFailed(), { at: s(1), group: null });
      engine.load([threshold(3, 60, 'device', { title: 'Renamed', severity: 9 })]);
      const firings = engine.evaluate(loginFailed(), { at: s(2), group: null });
      assert.deepEqual(
        firings.map((f) => [f.title, f.severity, f.eventCount]),
        [['Renamed', 9, 3]],
      );
    });

    it('starts afresh when match or detect change, and drops disabled rules', () => {
      const engine = new RuleEngine();
      engine.load([threshold(3, 60, 'device')]);
      engine.evaluate(loginFailed(), { at: s(0), group: null });
      engine.evaluate(loginFailed(), { at: s(1), group: null });
      engine.load([threshold(3, 120, 'device')]);
      assert.deepEqual(engine.evaluate(loginFailed(), { at: s(2), group: null }), []);
      engine.load([threshold(3, 120, 'device', { enabled: false })]);
      assert.deepEqual(engine.stateSize(), { keys: 0, entries: 0 });
      assert.deepEqual(engine.evaluate(loginFailed(), { at: s(3), group: null }), []);
    });

    it('refuses two rules with one id, keeping the previous set', () => {
      const engine = new RuleEngine();
      engine.load([threshold(2, 60, 'device')]);
      assert.deepEqual(
        rejection(() => engine.load([threshold(3, 60, 'device'), threshold(4, 60, 'fleet')])),
        ['/1/id'],
      );
      engine.evaluate(loginFailed(), { at: s(0), group: null });
      assert.equal(engine.evaluate(loginFailed(), { at: s(1), group: null }).length, 1);
    });
  });

  it('rejects a non-finite clock and a cap below 1 as programming errors', () => {
    assert.throws(() => new RuleEngine({ maxKeysPerRule: 0 }), RangeError);
    assert.throws(
      () => new RuleEngine().evaluate(loginFailed(), { at: Number.NaN, group: null }),
      RangeError,
    );
  });
});
