import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newUuidV7 } from '@palisade/core';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import type { DeviceReport } from '../events/index.ts';

const BRUTE_FORCE = {
  id: 'login-brute-force',
  title: 'Repeated failed logins on a device',
  enabled: true,
  severity: 8,
  controls: ['SI-2'],
  match: { field: 'type', op: 'eq', value: 'auth.login-failed' },
  detect: { kind: 'threshold', count: 3, windowSeconds: 60, per: 'device' },
  actions: [{ type: 'alert' }, { type: 'quarantine' }],
};

function failedLogin(user = 'root'): DeviceReport {
  return {
    id: newUuidV7(),
    kind: 'auth.login-failed',
    severity: 5,
    createdAt: new Date().toISOString(),
    body: { user, source: '203.0.113.9' },
  };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('detection rules and alerts', () => {
  let t: TestPanel;
  let admin: string;
  let operator: string;
  before(async () => {
    t = await startTestPanel();
    admin = await t.adminToken();
    operator = await t.operatorToken('soc', 'operator');
    await t.inject('PUT', '/v1/groups/plant-a', { token: admin, body: { targetLevel: 'SLE' } });
    for (const id of ['det-a', 'det-b'])
      await t.panel.services.db.query(
        "INSERT INTO devices (id, group_name, state) VALUES ($1, 'plant-a', 'enrolled')",
        [id],
      );
  });
  after(() => t?.[Symbol.asyncDispose]());

  it('raises an alert with its events and the device context, runs its actions, and records it as an event', async () => {
    const created = await t.inject('POST', '/v1/rules', { token: admin, body: BRUTE_FORCE });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().version, 1);
    // The rule reaches the worker over NOTIFY; events before that are not queued for detection.
    await eventually('the worker to load the rule', async () =>
      (await t.inject('GET', '/v1/rules', { token: admin })).json().rules.length === 1 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The device failed its last attestation: the alert's context says so.
    await t.panel.services.db.query(
      `INSERT INTO attestation_verdicts (id, device_id, result, component, code, message, pcr, severity, recoverable, evidence, created_at)
       VALUES (gen_random_uuid(), 'det-a', 'fail', 'pcr', 'PCR_MISMATCH', 'PCR 4 differs from the reference', 4, 8, true, '{}', now())`,
    );
    const ingest = t.panel.services.ingest;
    const events = [failedLogin(), failedLogin('admin')];
    await ingest.ingest('det-a', events);
    await ingest.ingest('det-b', [failedLogin()]);
    const third = failedLogin('pi');
    await ingest.ingest('det-a', [third]);

    const alert = await eventually('an alert', async () => {
      const list = (await t.inject('GET', '/v1/alerts?status=open', { token: operator })).json().alerts;
      return list.length > 0 ? list : undefined;
    });
    assert.equal(alert.length, 1, 'det-b had one failure: no alert for it');
    const [summary] = alert;
    assert.equal(summary.subject, 'device:det-a');
    assert.equal(summary.severity, 8);
    const detail = (await t.inject('GET', `/v1/alerts/${summary.id}`, { token: operator })).json();
    assert.deepEqual(
      detail.triggeringEvents.map((e: { id: string }) => e.id),
      [...events, third].map((e) => e.id),
    );
    assert.equal(detail.context.group, 'plant-a');
    assert.equal(detail.context.targetLevel, 'SLE');
    assert.equal(detail.context.quarantined, false, 'context as it was when the alert was raised');
    assert.equal(detail.context.lastAttestation.status, 'fail');
    assert.equal(detail.context.lastAttestation.code, 'PCR_MISMATCH');

    const quarantined = await t.panel.services.db.query<{ quarantine_reason: string | null }>(
      "SELECT quarantine_reason FROM devices WHERE id = 'det-a'",
    );
    assert.match(quarantined.rows[0]?.quarantine_reason ?? '', /login-brute-force/);
    const raised = (
      await t.inject('GET', '/v1/events?source=panel&type=alert.raised', { token: admin })
    ).json();
    assert.equal(raised.events[0]?.fields.alertId, summary.id);
    const flagged = (await t.inject('GET', '/v1/events?type=device.quarantined', { token: admin })).json();
    assert.equal(flagged.events[0]?.deviceId, 'det-a');

    // Suppression: more failures inside the suppression window raise nothing new.
    await ingest.ingest('det-a', [failedLogin(), failedLogin(), failedLogin()]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await t.panel.services.alerts.list({ limit: 10 })).length, 1);
  });

  it('walks the alert lifecycle, audited, and refuses steps the status does not allow', async () => {
    const [alert] = await t.panel.services.alerts.list({ limit: 1 });
    assert.ok(alert);
    const viewer = await t.operatorToken('watcher', 'viewer');
    const denied = await t.inject('POST', `/v1/alerts/${alert.id}/acknowledge`, { token: viewer, body: {} });
    assert.equal(denied.statusCode, 403);
    const ack = await t.inject('POST', `/v1/alerts/${alert.id}/acknowledge`, {
      token: operator,
      body: { note: 'looking at it' },
    });
    assert.equal(ack.statusCode, 200, ack.body);
    assert.equal(ack.json().status, 'acknowledged');
    assert.equal(ack.json().acknowledgedBy, 'operator:soc');
    const resolved = await t.inject('POST', `/v1/alerts/${alert.id}/resolve`, { token: operator, body: {} });
    assert.equal(resolved.json().status, 'resolved');
    assert.equal(resolved.json().note, 'looking at it');
    const again = await t.inject('POST', `/v1/alerts/${alert.id}/acknowledge`, { token: operator, body: {} });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'ALERT_STATE_CONFLICT');
    const audit = await t.panel.services.audit.list({ limit: 10, action: 'alert.resolve' });
    assert.equal(audit[0]?.target, `alert:${alert.id}`);
    const missing = await t.inject('GET', '/v1/alerts/00000000-0000-4000-8000-000000000000', {
      token: operator,
    });
    assert.equal(missing.statusCode, 404);
  });

  it('versions rules, audits each save, and only admins write them', async () => {
    const forbidden = await t.inject('PUT', '/v1/rules/login-brute-force', {
      token: operator,
      body: { ...BRUTE_FORCE, enabled: false },
    });
    assert.equal(forbidden.statusCode, 403);
    const saved = await t.inject('PUT', '/v1/rules/login-brute-force', {
      token: admin,
      body: { ...BRUTE_FORCE, enabled: false },
    });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal(saved.json().version, 2);
    const versions = (await t.inject('GET', '/v1/rules/login-brute-force/versions', { token: admin })).json();
    assert.deepEqual(
      versions.versions.map((v: { version: number; document: { enabled: boolean } }) => [
        v.version,
        v.document.enabled,
      ]),
      [
        [2, false],
        [1, true],
      ],
    );
    const duplicate = await t.inject('POST', '/v1/rules', { token: admin, body: BRUTE_FORCE });
    assert.equal(duplicate.statusCode, 409);
    const audit = await t.panel.services.audit.list({ limit: 10, action: 'rule.update' });
    assert.equal(audit[0]?.details.version, 2);
    // With the only rule disabled, the ingest stops queueing events for detection.
    await eventually('the disabled rule to reach the worker', async () => {
      await t.panel.services.ingest.ingest('det-b', [failedLogin()]);
      return (await t.panel.services.detectionQueue.depth()) === 0 ? true : undefined;
    });
    const gone = await t.inject('DELETE', '/v1/rules/login-brute-force', { token: admin });
    assert.equal(gone.statusCode, 204);
    assert.equal((await t.inject('GET', '/v1/rules/login-brute-force', { token: admin })).statusCode, 404);
  });

  it('refuses a rule that does not parse, naming every problem, and leaves nothing behind', async () => {
    const bad = await t.inject('POST', '/v1/rules', {
      token: admin,
      body: {
        id: 'Bad Id',
        title: 'x',
        enabled: true,
        severity: 42,
        match: { field: 'type', op: 'regex', value: '(a+)+$' },
        detect: { kind: 'threshold', count: 0, windowSeconds: 60, per: 'device' },
        actions: [{ type: 'alert' }],
      },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'RULE_INVALID');
    const paths = bad.json().problems.map((p: { path: string }) => p.path);
    for (const path of ['/id', '/severity', '/match/op', '/detect/count'])
      assert.ok(paths.includes(path), paths);
    const webhook = await t.inject('POST', '/v1/rules', {
      token: admin,
      body: { ...BRUTE_FORCE, id: 'hooked', actions: [{ type: 'webhook', exporterId: newUuidV7() }] },
    });
    assert.equal(webhook.statusCode, 400);
    assert.equal(webhook.json().code, 'RULE_REFERENCE_INVALID');
    assert.equal(
      (await t.panel.services.db.query('SELECT 1 FROM detection_rule_versions WHERE id = $1', ['hooked']))
        .rowCount,
      0,
    );
  });

  it('imports a Sigma rule, and names the Sigma feature it cannot evaluate', async () => {
    const sigma = [
      'title: Login failure for a privileged account',
      'id: 5c7f6bd4-1b8e-4f0c-9f34-1f0b7f4b6a11',
      'status: test',
      'level: high',
      'logsource:',
      '  product: linux',
      '  service: auth',
      'detection:',
      '  selection:',
      '    user:',
      '      - root',
      '      - admin',
      '  condition: selection',
    ].join('\n');
    const dry = await t.inject('POST', '/v1/rules/sigma', {
      token: admin,
      body: { sigma, id: 'sigma-privileged-login', eventTypes: ['auth.login-failed'], dryRun: true },
    });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.equal(dry.json().rule.severity, 7);
    assert.equal(
      (await t.inject('GET', '/v1/rules/sigma-privileged-login', { token: admin })).statusCode,
      404,
    );
    const imported = await t.inject('POST', '/v1/rules/sigma', {
      token: admin,
      body: { sigma, id: 'sigma-privileged-login', eventTypes: ['auth.login-failed'] },
    });
    assert.equal(imported.statusCode, 201, imported.body);
    const unsupported = await t.inject('POST', '/v1/rules/sigma', {
      token: admin,
      body: { sigma: sigma.replace('    user:', '    user|re:') },
    });
    assert.equal(unsupported.statusCode, 422);
    assert.equal(unsupported.json().code, 'SIGMA_UNSUPPORTED');
    assert.match(unsupported.json().detail, /\|re|re modifier/);
    const notYaml = await t.inject('POST', '/v1/rules/sigma', { token: admin, body: { sigma: 'a: [' } });
    assert.equal(notYaml.statusCode, 400);
    assert.equal(notYaml.json().code, 'SIGMA_INVALID');
  });
});
