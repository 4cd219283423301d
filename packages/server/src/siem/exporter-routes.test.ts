import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPanel, type TestPanel } from '@palisade/testkit';

describe('SIEM exporter API', () => {
  let t: TestPanel;
  let admin: string;
  before(async () => {
    t = await startTestPanel();
    admin = await t.adminToken();
  });
  after(() => t?.[Symbol.asyncDispose]());

  it('creates an exporter, lists it with its lag and without its secret, audits, and deletes it', async () => {
    const created = await t.inject('POST', '/v1/siem/exporters', {
      token: admin,
      body: {
        name: 'soc-webhook',
        kind: 'webhook',
        config: { url: 'https://siem.example/hook', secret: 'x'.repeat(40) },
        minSeverity: 5,
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const listed = await t.inject('GET', '/v1/siem/exporters', { token: admin });
    const [exporter] = listed.json().exporters;
    assert.equal(exporter.name, 'soc-webhook');
    assert.equal(exporter.config.secret, '[redacted]');
    assert.equal(exporter.minSeverity, 5);
    assert.ok(!listed.body.includes('x'.repeat(40)), 'the secret never comes back');
    const audit = await t.panel.services.db.query<{ details: Record<string, unknown> }>(
      "SELECT details FROM audit_log WHERE action = 'siem.exporter-create'",
    );
    assert.ok(!JSON.stringify(audit.rows).includes('x'.repeat(40)), 'nor does it reach the audit log');
    assert.equal(
      (await t.inject('DELETE', '/v1/siem/exporters/soc-webhook', { token: admin })).statusCode,
      204,
    );
    assert.equal(
      (await t.inject('DELETE', '/v1/siem/exporters/soc-webhook', { token: admin })).statusCode,
      404,
    );
  });

  it('refuses operators without siem:manage and malformed exporters', async () => {
    const operator = await t.operatorToken('ops', 'operator');
    const denied = await t.inject('POST', '/v1/siem/exporters', {
      token: operator,
      body: { name: 'x', kind: 'webhook', config: {} },
    });
    assert.equal(denied.statusCode, 403);
    const bad = await t.inject('POST', '/v1/siem/exporters', {
      token: admin,
      body: { name: 'Bad Name', kind: 'carrier-pigeon', config: {} },
    });
    assert.equal(bad.statusCode, 400);
  });
});
