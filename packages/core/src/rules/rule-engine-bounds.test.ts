import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hostileEvent } from '../events/event-arbitraries.ts';
import type { SecurityEvent } from '../events/security-event.ts';
import type { RuleDocument } from './rule-document.ts';
import { RuleEngine } from './rule-engine.ts';
import { eventOf, rule, s } from './rule-fixtures.ts';

// Anchored by the parser's rule, yet true for every event: the caps, not the anchor, bound the cost.
const anyType = { field: 'severity', op: 'in', value: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
const MAX_KEYS = 16;
/** One rule of each kind and scope, all matching every event. */
const BROAD: RuleDocument[] = [
  rule({ id: 'm', match: anyType, detect: { kind: 'match' } }),
  rule({
    id: 'td',
    match: anyType,
    detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'device' },
  }),
  rule({
    id: 'tg',
    match: anyType,
    detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'group' },
  }),
  rule({
    id: 'tf',
    match: anyType,
    detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'fleet' },
  }),
  rule({ id: 'sq', detect: { kind: 'sequence', steps: [anyType, anyType, anyType], withinSeconds: 60 } }),
  rule({ id: 'sp', match: anyType, detect: { kind: 'spread', devices: 4, windowSeconds: 60 } }),
];
// Keys: every rule but spread holds at most MAX_KEYS; spread holds one.
const KEY_BOUND = 5 * MAX_KEYS + 1;
// Entries: 3 thresholds × 5 timestamps per key, 2 partial runs per sequence key, MAX_KEYS spread devices.
const ENTRY_BOUND = 3 * 5 * MAX_KEYS + 2 * MAX_KEYS + MAX_KEYS;

describe('RuleEngine bounds', () => {
  it('keeps at most maxKeysPerRule keys per rule under a flood of distinct devices', () => {
    const engine = new RuleEngine({ maxKeysPerRule: MAX_KEYS });
    engine.load(BROAD);
    let firings = 0;
    for (let i = 0; i < 5000; i += 1) {
      const event = eventOf(i % 2 === 0 ? 'auth.login-failed' : 'process.started', `gw-${i}`);
      firings += engine.evaluate(event, { at: s(i / 100), group: `g${i}` }).length;
    }
    const size = engine.stateSize();
    assert.ok(size.keys <= KEY_BOUND, `keys ${size.keys}`);
    assert.ok(size.entries <= ENTRY_BOUND, `entries ${size.entries}`);
    assert.ok(firings >= 5000, 'the match rule fired for every new device');
  });

  it('evicts the least recently seen key, so an active device keeps its window', () => {
    const engine = new RuleEngine({ maxKeysPerRule: 2 });
    engine.load([BROAD[1] as RuleDocument]);
    const hit = (device: string, t: number) =>
      engine.evaluate(eventOf('x.y', device), { at: s(t), group: null });
    for (let t = 0; t < 4; t += 1) {
      hit('busy', t);
      hit(`noise-${t}`, t);
    }
    assert.equal(hit('busy', 4).length, 1, 'the fifth event of the busy device fires');
  });

  it('never throws and stays within its caps for random hostile events and clocks', () => {
    const group = fc.option(fc.constantFrom('lab', 'plant', 'yard'), { nil: null });
    const stream = fc.array(fc.tuple(hostileEvent, fc.integer({ min: 0, max: 400_000 }), group), {
      maxLength: 200,
    });
    fc.assert(
      fc.property(stream, (items) => {
        const engine = new RuleEngine({ maxKeysPerRule: MAX_KEYS });
        engine.load(BROAD);
        for (const [event, at, g] of items) {
          for (const firing of engine.evaluate(event as SecurityEvent, { at: s(0) + at, group: g })) {
            assert.ok(firing.eventIds.length >= 1 && firing.eventIds.length <= 100);
            assert.ok(firing.firstAt <= firing.lastAt);
          }
          const size = engine.stateSize();
          assert.ok(size.keys <= KEY_BOUND && size.entries <= ENTRY_BOUND, JSON.stringify(size));
        }
      }),
      { numRuns: 150 },
    );
  });
});
