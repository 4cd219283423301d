import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import { type CliSandbox, cliSandbox } from '../cli-sandbox.ts';

describe('palisade simulate', () => {
  let t: TestPanel;
  let sandbox: CliSandbox;
  let env: Record<string, string>;

  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
    sandbox = await cliSandbox();
    env = {
      PALISADE_PANEL: t.panel.facts.operatorUrl,
      PALISADE_TOKEN: await t.adminToken(),
      PALISADE_CA_FILE: t.panel.facts.rootCaPath,
    };
  });
  after(async () => {
    await sandbox?.[Symbol.asyncDispose]();
    await t?.[Symbol.asyncDispose]();
  });

  it('registers, enrolls and runs virtual agents that check in, open the push channel and deliver events', async () => {
    const run = await sandbox.run(
      [
        'simulate',
        '--devices',
        '12',
        '--device-url',
        t.panel.facts.deviceUrl,
        '--events-per-minute',
        '600',
        '--duration',
        '8',
        '--json',
      ],
      { env },
    );
    assert.equal(run.code, 0, run.err);
    const summary = JSON.parse(run.out);
    assert.equal(summary.devices, 12);
    assert.equal(summary.enrolled, 12);
    assert.equal(summary.enrollFailures, 0);
    assert.ok(summary.eventsDelivered > 0, 'events reached the panel');
    assert.match(run.err, /enrolled \d+\/12/);
    assert.match(run.err, /connected 12 /, 'every push channel counted as open while running');
    const devices = await t.panel.services.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM devices WHERE id LIKE 'sim-%' AND state = 'enrolled'",
    );
    assert.equal(devices.rows[0]?.n, 12);
    const reports = await t.panel.services.db.query<{ n: number; kinds: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT kind)::int AS kinds FROM (
         SELECT kind FROM device_reports WHERE device_id LIKE 'sim-%'
         UNION ALL SELECT type FROM security_events WHERE ingest_key LIKE 'sim-%') AS delivered`,
    );
    assert.equal(reports.rows[0]?.n, summary.eventsDelivered, 'every acknowledged record is stored, once');
    assert.ok((reports.rows[0]?.kinds ?? 0) >= 3, 'a mix of event kinds, inventory included');
    const presence = await t.panel.services.presence.of('sim-00001');
    assert.equal(presence.agentVersion, 'simulator');
  });

  it('refuses a bad device count', async () => {
    const run = await sandbox.run(['simulate', '--devices', '0'], { env });
    assert.equal(run.code, 2);
    assert.match(run.err, /--devices must be an integer/);
  });
});
