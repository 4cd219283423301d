import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecurityEvent } from '../events/security-event.ts';
import type { RuleDocument } from './rule-document.ts';
import { RuleEngine } from './rule-engine.ts';
import type { RuleFiring } from './rule-firing.ts';
import { eventOf, LOGIN_FAILED, rule, s } from './rule-fixtures.ts';

const typeIs = (value: string) => ({ field: 'type', op: 'eq', value });
/** Failed login, then a login, then a new process: someone guessed the password and got in. */
const BREAK_IN = rule({
  id: 'break-in',
  detect: {
    kind: 'sequence',
    steps: [LOGIN_FAILED, typeIs('auth.login'), typeIs('process.started')],
    withinSeconds: 300,
  },
  suppressSeconds: 0,
});
const WORM = rule({
  id: 'worm',
  match: typeIs('fim.added'),
  detect: { kind: 'spread', devices: 3, windowSeconds: 300 },
});

function feed(
  rules: RuleDocument[],
  stream: [SecurityEvent, number][],
  engine = new RuleEngine(),
): RuleFiring[][] {
  engine.load(rules);
  return stream.map(([event, at]) => engine.evaluate(event, { at, group: null }));
}

describe('RuleEngine', () => {
  describe('sequence', () => {
    it('fires when one device matches the steps in order within the time, listing the steps', () => {
      const steps = [
        eventOf('auth.login-failed', 'gw-1'),
        eventOf('net.connection', 'gw-1'),
        eventOf('auth.login', 'gw-1'),
        eventOf('process.started', 'gw-1'),
      ];
      const firings = feed(
        [BREAK_IN],
        steps.map((event, i) => [event, s(i * 100)]),
      );
      assert.deepEqual(
        firings.map((f) => f.length),
        [0, 0, 0, 1],
      );
      const [firing] = firings[3] ?? [];
      assert.deepEqual(firing?.eventIds, [steps[0]?.id, steps[2]?.id, steps[3]?.id]);
      assert.deepEqual(
        [firing?.key, firing?.firstAt, firing?.lastAt, firing?.eventCount],
        ['device:gw-1', s(0), s(300), 3],
      );
    });

    it('does not fire for steps out of order, too slow, or on different devices', () => {
      const outOfOrder = feed(
        [BREAK_IN],
        [
          [eventOf('auth.login', 'gw-1'), s(0)],
          [eventOf('auth.login-failed', 'gw-1'), s(1)],
          [eventOf('process.started', 'gw-1'), s(2)],
        ],
      );
      const tooSlow = feed(
        [BREAK_IN],
        [
          [eventOf('auth.login-failed', 'gw-1'), s(0)],
          [eventOf('auth.login', 'gw-1'), s(1)],
          [eventOf('process.started', 'gw-1'), s(300.001)],
        ],
      );
      const spread = feed(
        [BREAK_IN],
        [
          [eventOf('auth.login-failed', 'gw-1'), s(0)],
          [eventOf('auth.login', 'gw-2'), s(1)],
          [eventOf('process.started', 'gw-1'), s(2)],
        ],
      );
      for (const firings of [outOfOrder, tooSlow, spread]) assert.deepEqual(firings.flat(), []);
    });

    it('keeps the latest-starting run of each step, so an old run does not hide a fresh one', () => {
      const firings = feed(
        [BREAK_IN],
        [
          [eventOf('auth.login-failed', 'gw-1'), s(0)],
          [eventOf('auth.login', 'gw-1'), s(10)],
          [eventOf('auth.login-failed', 'gw-1'), s(200)],
          [eventOf('auth.login', 'gw-1'), s(250)],
          [eventOf('process.started', 'gw-1'), s(400)],
        ],
      );
      assert.deepEqual(
        firings.map((f) => f.map((x) => x.firstAt)),
        [[], [], [], [], [s(200)]],
      );
    });

    it('counts one event for one step only, and consumes the run when it fires', () => {
      const twice = rule({
        id: 'twice',
        detect: { kind: 'sequence', steps: [LOGIN_FAILED, LOGIN_FAILED], withinSeconds: 60 },
        suppressSeconds: 0,
      });
      const firings = feed(
        [twice],
        [1, 2, 3, 4].map((t) => [eventOf('auth.login-failed', 'gw-1'), s(t)]),
      );
      assert.deepEqual(
        firings.map((f) => f.length),
        [0, 1, 0, 1],
      );
      const started = typeIs('process.started');
      const doubled = rule({
        id: 'doubled',
        detect: { kind: 'sequence', steps: [LOGIN_FAILED, started, started], withinSeconds: 60 },
      });
      const once = feed(
        [doubled],
        [
          [eventOf('auth.login-failed', 'gw-1'), s(0)],
          [eventOf('process.started', 'gw-1'), s(1)],
        ],
      );
      assert.deepEqual(once.flat(), [], 'one process.started is not steps 2 and 3');
    });

    it('applies match as a prefilter to every step', () => {
      const rootOnly = {
        ...BREAK_IN,
        match: { field: 'fields.user', op: 'eq', value: 'root' },
      } as RuleDocument;
      const as = (type: string, user: string) => eventOf(type, 'gw-1', { user });
      const firings = feed(
        [rootOnly],
        [
          [as('auth.login-failed', 'root'), s(0)],
          [as('auth.login', 'operator'), s(1)],
          [as('process.started', 'root'), s(2)],
          [as('auth.login', 'root'), s(3)],
          [as('process.started', 'root'), s(4)],
        ],
      );
      assert.deepEqual(
        firings.map((f) => f.length),
        [0, 0, 0, 0, 1],
      );
    });

    it('is suppressed per device, and forgets a device once nothing is in progress', () => {
      const engine = new RuleEngine();
      const suppressed = { ...BREAK_IN, suppressSeconds: 600 };
      const run = (device: string, t: number) =>
        feed(
          [suppressed],
          [
            [eventOf('auth.login-failed', device), s(t)],
            [eventOf('auth.login', device), s(t + 1)],
            [eventOf('process.started', device), s(t + 2)],
          ],
          engine,
        ).flat().length;
      assert.equal(run('gw-1', 0), 1);
      assert.equal(run('gw-1', 10), 0);
      assert.equal(run('gw-2', 20), 1);
      assert.equal(run('gw-1', 700), 1);
      const fresh = new RuleEngine();
      feed([BREAK_IN], [[eventOf('auth.login-failed', 'gw-3'), s(0)]], fresh);
      assert.deepEqual(fresh.stateSize(), { keys: 1, entries: 1 });
      feed([BREAK_IN], [[eventOf('net.connection', 'gw-3'), s(301)]], fresh);
      assert.deepEqual(fresh.stateSize(), { keys: 0, entries: 0 });
    });
  });

  describe('spread', () => {
    it('fires when distinct devices reach the count, listing one event per device', () => {
      const stream: [SecurityEvent, number][] = [
        [eventOf('fim.added', 'gw-1'), s(0)],
        [eventOf('fim.added', 'gw-2'), s(10)],
        [eventOf('fim.added', 'gw-2'), s(20)],
        [eventOf('fim.added', 'gw-3'), s(30)],
      ];
      const firings = feed([WORM], stream);
      assert.deepEqual(
        firings.map((f) => f.length),
        [0, 0, 0, 1],
      );
      const [firing] = firings[3] ?? [];
      assert.deepEqual(firing?.devices, ['gw-1', 'gw-2', 'gw-3']);
      assert.deepEqual(firing?.eventIds, [stream[0]?.[0].id, stream[2]?.[0].id, stream[3]?.[0].id]);
      assert.deepEqual(
        [firing?.key, firing?.eventCount, firing?.firstAt, firing?.lastAt],
        ['fleet', 3, s(0), s(30)],
      );
    });

    it('does not count one device twice, nor events about no device', () => {
      const firings = feed(
        [WORM],
        [
          [eventOf('fim.added', 'gw-1'), s(0)],
          [eventOf('fim.added', 'gw-1'), s(1)],
          [eventOf('fim.added', null), s(2)],
          [eventOf('fim.added', 'gw-2'), s(3)],
        ],
      );
      assert.deepEqual(firings.flat(), []);
    });

    it('slides: devices drop out of the window as it moves', () => {
      const firings = feed(
        [WORM],
        [
          [eventOf('fim.added', 'gw-1'), s(0)],
          [eventOf('fim.added', 'gw-2'), s(200)],
          [eventOf('fim.added', 'gw-3'), s(301)],
          [eventOf('fim.added', 'gw-4'), s(400)],
        ],
      );
      assert.deepEqual(
        firings.map((f) => f.map((x) => x.devices)),
        [[], [], [], [['gw-2', 'gw-3', 'gw-4']]],
      );
    });

    it('is suppressed fleet-wide after firing (default: the window)', () => {
      const devices = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5', 'gw-6', 'gw-7'];
      const times = [0, 1, 2, 3, 299, 302, 303];
      const firings = feed(
        [WORM],
        devices.map((d, i) => [eventOf('fim.added', d), s(times[i] ?? 0)]),
      );
      assert.deepEqual(
        firings.map((f) => f.length),
        [0, 0, 1, 0, 0, 1, 0],
      );
    });
  });
});
