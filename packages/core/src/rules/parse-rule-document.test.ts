import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRuleDocument } from './parse-rule-document.ts';
import { ruleDocumentInput, validRuleDocument } from './rule-arbitraries.ts';
import { deviceEvaluable } from './rule-document.ts';
import { RuleError } from './rule-error.ts';
import { LOGIN_FAILED, rejection, rule } from './rule-fixtures.ts';

const BRUTE_FORCE = {
  id: 'ssh-brute-force',
  title: 'Repeated failed logins',
  enabled: true,
  severity: 7,
  controls: ['SI-2'],
  match: {
    all: [
      { field: 'type', op: 'eq', value: 'auth.login-failed' },
      {
        any: [
          { field: 'fields.user', op: 'in', value: ['root', 'admin'] },
          { not: { field: 'fields.sourceAddress', op: 'startsWith', value: '10.' } },
        ],
      },
    ],
  },
  detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'device' },
  suppressSeconds: 300,
  actions: [
    { type: 'alert' },
    { type: 'quarantine' },
    { type: 'webhook', exporterId: '0190B6F2-8C3E-7A41-9D2B-5F0E4C3A2B1D' },
  ],
};

describe('parseRuleDocument', () => {
  it('parses the documented example, normalizing the exporter id', () => {
    const parsed = parseRuleDocument(BRUTE_FORCE);
    assert.deepEqual(parsed, {
      ...BRUTE_FORCE,
      actions: [
        { type: 'alert' },
        { type: 'quarantine' },
        { type: 'webhook', exporterId: '0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d' },
      ],
    });
    assert.deepEqual(parseRuleDocument(parsed), parsed, 'a parsed rule parses to itself');
  });

  it('fills defaults: enabled, no controls, an alert, and suppression = the window or 60 s', () => {
    const parsed = rule({ match: LOGIN_FAILED, detect: { kind: 'match' } });
    assert.equal(parsed.enabled, true);
    assert.deepEqual(parsed.controls, []);
    assert.deepEqual(parsed.actions, [{ type: 'alert' }]);
    assert.equal(parsed.suppressSeconds, 60);
    assert.equal(
      rule({ match: LOGIN_FAILED, detect: { kind: 'spread', devices: 3, windowSeconds: 600 } })
        .suppressSeconds,
      600,
    );
    const steps = [LOGIN_FAILED, { field: 'type', op: 'eq', value: 'process.started' }];
    assert.equal(rule({ detect: { kind: 'sequence', steps, withinSeconds: 120 } }).suppressSeconds, 120);
    assert.equal(
      rule({ match: LOGIN_FAILED, detect: { kind: 'match' }, suppressSeconds: 0 }).suppressSeconds,
      0,
    );
  });

  it('names every unknown member at every level by JSON pointer', () => {
    const paths = rejection(() =>
      parseRuleDocument({
        ...BRUTE_FORCE,
        version: 2,
        detect: { ...BRUTE_FORCE.detect, tumbling: true },
        match: { all: [{ ...LOGIN_FAILED, regex: '.*' }] },
        actions: [{ type: 'alert', url: 'http://x' }],
      }),
    );
    assert.deepEqual(paths.sort(), ['/actions/0/url', '/detect/tumbling', '/match/all/0/regex', '/version']);
  });

  it('names every malformed member', () => {
    const paths = rejection(() =>
      parseRuleDocument({
        id: 'SSH Brute',
        title: '',
        description: 7,
        enabled: 'yes',
        severity: 11,
        controls: ['SI-2', 'XX-9', 'SI-2'],
        match: { any: [] },
        detect: { kind: 'threshold', count: 1, windowSeconds: 86_401, per: 'site' },
        suppressSeconds: -1,
        actions: [
          { type: 'webhook', exporterId: 'not-a-uuid' },
          { type: 'page' },
          { type: 'alert' },
          { type: 'alert' },
        ],
      }),
    );
    assert.deepEqual(paths.sort(), [
      '/actions/0/exporterId',
      '/actions/1/type',
      '/actions/3',
      '/controls/1',
      '/controls/2',
      '/description',
      '/detect/count',
      '/detect/per',
      '/detect/windowSeconds',
      '/enabled',
      '/id',
      '/match/any',
      '/severity',
      '/suppressSeconds',
      '/title',
    ]);
  });

  it('refuses non-objects, non-JSON values and members of the wrong shape without throwing anything else', () => {
    assert.deepEqual(
      rejection(() => parseRuleDocument([BRUTE_FORCE])),
      [''],
    );
    assert.deepEqual(
      rejection(() => parseRuleDocument(null)),
      [''],
    );
    assert.deepEqual(
      rejection(() => parseRuleDocument({ ...BRUTE_FORCE, severity: () => 7 })),
      ['/severity'],
    );
    const cyclic: Record<string, unknown> = { ...BRUTE_FORCE };
    cyclic.match = cyclic;
    assert.deepEqual(rejection(() => parseRuleDocument(cyclic), 'RULE_TOO_COMPLEX').length, 1);
    assert.deepEqual(
      rejection(() => parseRuleDocument({ ...BRUTE_FORCE, detect: 'threshold' })),
      ['/detect'],
    );
  });

  describe('conditions', () => {
    const leaf = (value: Record<string, unknown>) =>
      rule({ match: { all: [LOGIN_FAILED, value] }, detect: { kind: 'match' } });

    it('accepts every operator on a typed field', () => {
      for (const [op, value] of [
        ['eq', 'root'],
        ['ne', 3],
        ['in', ['root', 0, false]],
        ['contains', 'oo'],
        ['startsWith', 'r'],
        ['endsWith', 't'],
        ['glob', 'r?o*'],
        ['gt', 1],
        ['gte', 1.5],
        ['lt', -1],
        ['lte', 0],
        ['exists', false],
      ] as const) {
        assert.doesNotThrow(() => leaf({ field: 'fields.user', op, value }), op);
      }
      assert.deepEqual(
        leaf({ field: 'message', op: 'contains', value: 'ROOT', caseInsensitive: true }).match,
        {
          all: [LOGIN_FAILED, { field: 'message', op: 'contains', value: 'ROOT', caseInsensitive: true }],
        },
      );
    });

    it('refuses fields, operators and values that can never match', () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ field: 'fields.User', op: 'eq', value: 'x' }, '/match/all/1/field'],
        [{ field: 'occurredAt', op: 'eq', value: 'x' }, '/match/all/1/field'],
        [{ field: 'message', op: 'matches', value: 'x' }, '/match/all/1/op'],
        [{ field: 'type', op: 'gt', value: 3 }, '/match/all/1/op'],
        [{ field: 'severity', op: 'contains', value: '7' }, '/match/all/1/op'],
        [{ field: 'controls', op: 'eq', value: 'SI-2' }, '/match/all/1/op'],
        [{ field: 'controls', op: 'contains', value: 'SI-99' }, '/match/all/1/value'],
        [{ field: 'severity', op: 'eq', value: '7' }, '/match/all/1/value'],
        [{ field: 'type', op: 'eq', value: 'Auth.LoginFailed' }, '/match/all/1/value'],
        [{ field: 'source', op: 'in', value: ['device', 'agent'] }, '/match/all/1/value/1'],
        [{ field: 'message', op: 'contains', value: '' }, '/match/all/1/value'],
        [{ field: 'message', op: 'eq', value: 'a\u0007b' }, '/match/all/1/value'],
        [{ field: 'message', op: 'eq', value: 'x'.repeat(1025) }, '/match/all/1/value'],
        [{ field: 'message', op: 'glob', value: `*${'x'.repeat(256)}` }, '/match/all/1/value'],
        [{ field: 'fields.count', op: 'gt', value: Number.NaN }, '/match/all/1/value'],
        [{ field: 'fields.user', op: 'exists', value: 'yes' }, '/match/all/1/value'],
        [{ field: 'fields.user', op: 'in', value: [] }, '/match/all/1/value'],
        [
          { field: 'fields.count', op: 'gt', value: 1, caseInsensitive: true },
          '/match/all/1/caseInsensitive',
        ],
        [{ field: 'message', op: 'eq', value: 'x', caseInsensitive: 'yes' }, '/match/all/1/caseInsensitive'],
        [{ all: [], any: [] }, '/match/all/1'],
        [{ not: LOGIN_FAILED, field: 'type' }, '/match/all/1'],
      ];
      for (const [condition, path] of cases) {
        assert.deepEqual(
          rejection(() => leaf(condition)),
          [path],
          JSON.stringify(condition).slice(0, 80),
        );
      }
    });

    it('refuses a condition that matches (almost) every event', () => {
      for (const match of [
        { field: 'type', op: 'exists', value: true },
        { field: 'fields.user', op: 'ne', value: 'root' },
        { not: LOGIN_FAILED },
        { field: 'message', op: 'glob', value: '*?*' },
        { field: 'severity', op: 'gte', value: 0 },
        { any: [LOGIN_FAILED, { field: 'deviceId', op: 'exists', value: true }] },
      ]) {
        assert.deepEqual(
          rejection(() => rule({ match, detect: { kind: 'match' } })),
          ['/match'],
          JSON.stringify(match),
        );
      }
      for (const match of [
        {
          all: [
            { field: 'type', op: 'exists', value: true },
            { field: 'message', op: 'glob', value: '*x*' },
          ],
        },
        { field: 'severity', op: 'gte', value: 8 },
        { any: [LOGIN_FAILED, { field: 'controls', op: 'contains', value: 'SI-3' }] },
      ]) {
        assert.doesNotThrow(() => rule({ match, detect: { kind: 'match' } }), JSON.stringify(match));
      }
    });

    it('requires match except for sequences, whose steps must then each be anchored', () => {
      assert.deepEqual(
        rejection(() => rule({ detect: { kind: 'match' } })),
        ['/match'],
      );
      const loose = { field: 'fields.user', op: 'exists', value: true };
      const steps = [LOGIN_FAILED, loose];
      assert.deepEqual(
        rejection(() => rule({ detect: { kind: 'sequence', steps, withinSeconds: 60 } })),
        ['/detect/steps/1'],
      );
      const prefiltered = rule({
        match: LOGIN_FAILED,
        detect: { kind: 'sequence', steps, withinSeconds: 60 },
      });
      assert.equal(prefiltered.detect.kind, 'sequence');
    });
  });

  describe('limits', () => {
    it('refuses nesting deeper than 8 with RULE_TOO_COMPLEX at the first node too deep', () => {
      let match: Record<string, unknown> = LOGIN_FAILED;
      for (let i = 0; i < 8; i += 1) match = { all: [match] };
      assert.deepEqual(
        rejection(() => rule({ match, detect: { kind: 'match' } }), 'RULE_TOO_COMPLEX'),
        [`/match${'/all/0'.repeat(8)}`],
      );
      assert.doesNotThrow(() => rule({ match: (match.all as unknown[])[0], detect: { kind: 'match' } }));
    });

    it('counts leaves over match and every sequence step: 64 at most', () => {
      const leaves = (n: number) => Array.from({ length: n }, () => LOGIN_FAILED);
      assert.doesNotThrow(() => rule({ match: { any: leaves(64) }, detect: { kind: 'match' } }));
      assert.deepEqual(
        rejection(() => rule({ match: { any: leaves(65) }, detect: { kind: 'match' } }), 'RULE_TOO_COMPLEX'),
        ['/match/any/64'],
      );
      const steps = [{ any: leaves(30) }, { any: leaves(30) }];
      const tooMany = () =>
        rule({ match: { any: leaves(5) }, detect: { kind: 'sequence', steps, withinSeconds: 60 } });
      assert.deepEqual(rejection(tooMany, 'RULE_TOO_COMPLEX'), ['/detect/steps/1/any/29']);
    });

    it('limits in-lists to 256, sequences to 8 steps and documents to 64 KiB', () => {
      const values = Array.from({ length: 257 }, (_, i) => `u${i}`);
      const inList = { all: [LOGIN_FAILED, { field: 'fields.user', op: 'in', value: values }] };
      assert.deepEqual(
        rejection(() => rule({ match: inList, detect: { kind: 'match' } }), 'RULE_TOO_COMPLEX'),
        ['/match/all/1/value'],
      );
      const steps = Array.from({ length: 9 }, () => LOGIN_FAILED);
      assert.deepEqual(
        rejection(() => rule({ detect: { kind: 'sequence', steps, withinSeconds: 60 } }), 'RULE_TOO_COMPLEX'),
        ['/detect/steps'],
      );
      const huge = { ...BRUTE_FORCE, description: 'x'.repeat(70_000) };
      assert.deepEqual(
        rejection(() => parseRuleDocument(huge), 'RULE_TOO_COMPLEX'),
        [''],
      );
    });

    it('keeps counts, windows and spreads in range', () => {
      const paths = (detect: Record<string, unknown>) =>
        rejection(() => rule({ match: LOGIN_FAILED, detect }));
      assert.deepEqual(paths({ kind: 'threshold', count: 100_001, windowSeconds: 60, per: 'fleet' }), [
        '/detect/count',
      ]);
      assert.deepEqual(paths({ kind: 'threshold', count: 5, windowSeconds: 0, per: 'fleet' }), [
        '/detect/windowSeconds',
      ]);
      assert.deepEqual(paths({ kind: 'spread', devices: 100_001, windowSeconds: 60 }), ['/detect/devices']);
      assert.deepEqual(paths({ kind: 'spread', devices: 2, windowSeconds: 1.5 }), ['/detect/windowSeconds']);
      assert.deepEqual(paths({ kind: 'sequence', steps: [LOGIN_FAILED], withinSeconds: 60 }), [
        '/detect/steps',
      ]);
    });
  });

  describe('random documents', () => {
    it('either parse into a rule that parses to itself, or throw a RuleError naming its problems', () => {
      let parsed = 0;
      fc.assert(
        fc.property(fc.oneof(ruleDocumentInput, validRuleDocument), (input) => {
          try {
            const document = parseRuleDocument(input);
            parsed += 1;
            assert.deepEqual(parseRuleDocument(JSON.parse(JSON.stringify(document))), document);
          } catch (error) {
            assert.ok(error instanceof RuleError, String(error));
            assert.ok(error.code === 'RULE_INVALID' || error.code === 'RULE_TOO_COMPLEX');
            assert.ok(error.problems.length >= 1 && error.problems.length <= 51);
          }
        }),
        { numRuns: 1500 },
      );
      assert.ok(parsed > 100, `${parsed} random documents were valid`);
    });

    it('accepts every document built from valid parts', () => {
      fc.assert(fc.property(validRuleDocument, (input) => void parseRuleDocument(input)));
    });

    it('never throw anything but a RuleError for arbitrary JSON', () => {
      fc.assert(
        fc.property(fc.anything(), (input) => {
          assert.throws(() => parseRuleDocument(input), RuleError);
        }),
      );
    });
  });
});

describe('deviceEvaluable', () => {
  it('is true for match rules and per-device thresholds that do not test group', () => {
    const threshold = (per: string) => ({ kind: 'threshold', count: 3, windowSeconds: 60, per });
    assert.equal(deviceEvaluable(rule({ match: LOGIN_FAILED, detect: { kind: 'match' } })), true);
    assert.equal(deviceEvaluable(rule({ match: LOGIN_FAILED, detect: threshold('device') })), true);
    assert.equal(deviceEvaluable(rule({ match: LOGIN_FAILED, detect: threshold('group') })), false);
    assert.equal(
      deviceEvaluable(
        rule({ match: LOGIN_FAILED, detect: { kind: 'spread', devices: 2, windowSeconds: 9 } }),
      ),
      false,
    );
    const steps = [LOGIN_FAILED, LOGIN_FAILED];
    assert.equal(deviceEvaluable(rule({ detect: { kind: 'sequence', steps, withinSeconds: 9 } })), false);
    const byGroup = { all: [LOGIN_FAILED, { not: { field: 'group', op: 'eq', value: 'lab' } }] };
    assert.equal(deviceEvaluable(rule({ match: byGroup, detect: { kind: 'match' } })), false);
  });
});
