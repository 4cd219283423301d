import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePolicyDocument, type SiemPolicy } from '@palisade/core';
import pino from 'pino';
import { DeviceEventGate, forwarded, RULE_MATCHED, typeMatches } from './device-event-gate.ts';

const silent = pino({ level: 'silent' });

const SIEM = parsePolicyDocument('siem', {
  forward: { minSeverity: 4, excludeTypes: ['process.*'] },
  rules: [
    {
      id: 'login-burst',
      title: 'Repeated failed logins',
      severity: 7,
      match: { field: 'type', op: 'eq', value: 'auth.login-failed' },
      detect: { kind: 'threshold', count: 3, windowSeconds: 60, per: 'device' },
    },
    {
      id: 'shell-from-plc',
      title: 'Shell started by the PLC runtime',
      severity: 3,
      match: {
        all: [
          { field: 'type', op: 'eq', value: 'process.started' },
          { field: 'fields.parent', op: 'eq', value: 'plc-runtime' },
        ],
      },
      detect: { kind: 'match' },
    },
  ],
}) as SiemPolicy;

function gate(now = () => 1_772_366_400_000): DeviceEventGate {
  const created = new DeviceEventGate({ deviceId: 'gw-0042', logger: silent, now });
  created.activate(SIEM);
  return created;
}

describe('DeviceEventGate', () => {
  it('leaves reports alone without a siem policy, so the agent appends them as before', () => {
    const bare = new DeviceEventGate({ deviceId: 'gw-0042', logger: silent });
    assert.equal(bare.screen('auth.login-failed', 5, {}), undefined);
  });

  it('never filters inventory or state reports: they are not events', () => {
    assert.equal(gate().screen('inventory', 1, { os: 'linux' }), undefined);
    assert.equal(gate().screen('state', 0, {}), undefined);
  });

  it('forwards an event at or above minSeverity with a fresh UUIDv7 as its outbox ID', () => {
    const screened = gate().screen('fim.modified', 4, { path: '/etc/passwd' });
    assert.ok(screened);
    assert.match(screened.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.deepEqual(
      screened.records.map((r) => [r.id, r.kind, r.severity, r.body]),
      [[screened.id, 'fim.modified', 4, { path: '/etc/passwd' }]],
    );
  });

  it('keeps below-threshold and excluded events on the device', () => {
    assert.deepEqual(gate().screen('fim.modified', 3, {})?.records, []);
    assert.deepEqual(gate().screen('process.started', 9, {})?.records, []);
  });

  it('fires a threshold rule on the third failed login and forwards rule.matched naming the rule and events', () => {
    let at = 1_772_366_400_000;
    const tested = gate(() => at);
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const screened = tested.screen('auth.login-failed', 5, { user: 'root' });
      ids.push(screened?.id ?? '');
      assert.deepEqual(
        screened?.records.map((r) => r.kind),
        ['auth.login-failed'],
      );
      at += 1000;
    }
    const third = tested.screen('auth.login-failed', 5, { user: 'root' });
    assert.deepEqual(
      third?.records.map((r) => r.kind),
      ['auth.login-failed', RULE_MATCHED],
    );
    const firing = third?.records[1];
    assert.equal(firing?.severity, 7);
    const body = firing?.body as Record<string, unknown>;
    assert.equal(body.ruleId, 'login-burst');
    assert.equal(body.eventCount, 3);
    assert.deepEqual(body.eventIds, [...ids, third?.id]);
  });

  it('evaluates rules on events it keeps local, and filters the firing by its own severity', () => {
    // process.* is excluded from forwarding, yet the rule sees it; its firing (severity 3) is below minSeverity.
    const screened = gate().screen('process.started', 6, { parent: 'plc-runtime', exe: '/bin/sh' });
    assert.deepEqual(screened?.records, []);
    const louder = new DeviceEventGate({ deviceId: 'gw-0042', logger: silent });
    louder.activate({ ...SIEM, forward: { minSeverity: 0, excludeTypes: ['process.*'] } });
    const fired = louder.screen('process.started', 6, { parent: 'plc-runtime' });
    assert.deepEqual(
      fired?.records.map((r) => [r.kind, (r.body as { ruleId?: string }).ruleId]),
      [[RULE_MATCHED, 'shell-from-plc']],
    );
  });

  it('does not evaluate rule.matched itself (a rule cannot feed on its own firings)', () => {
    const tested = new DeviceEventGate({ deviceId: 'gw-0042', logger: silent });
    tested.activate(
      parsePolicyDocument('siem', {
        forward: { minSeverity: 0 },
        rules: [
          {
            id: 'rule-firings',
            title: 'Any rule firing',
            severity: 5,
            match: { field: 'type', op: 'startsWith', value: 'rule.' },
            detect: { kind: 'match' },
          },
        ],
      }) as SiemPolicy,
    );
    assert.deepEqual(
      tested.screen(RULE_MATCHED, 5, { ruleId: 'x' })?.records.map((r) => r.kind),
      [RULE_MATCHED],
    );
  });

  it('stops filtering once the policy is removed', () => {
    const tested = gate();
    tested.activate(undefined);
    assert.equal(tested.screen('fim.modified', 0, {}), undefined);
  });
});

describe('forwarded', () => {
  it('matches exact types and dotted prefixes, include first, then exclude', () => {
    assert.ok(typeMatches('fim.*', 'fim.modified'));
    assert.ok(typeMatches('fim.*', 'fim.a.b'));
    assert.ok(!typeMatches('fim.*', 'fim'));
    assert.ok(!typeMatches('fim.*', 'fimx.modified'));
    const forward = {
      minSeverity: 0,
      includeTypes: ['fim.*', 'auth.login-failed'],
      excludeTypes: ['fim.read'],
    };
    assert.ok(forwarded(forward, 'fim.modified', 0));
    assert.ok(forwarded(forward, 'auth.login-failed', 0));
    assert.ok(!forwarded(forward, 'fim.read', 10));
    assert.ok(!forwarded(forward, 'process.started', 10));
  });
});
