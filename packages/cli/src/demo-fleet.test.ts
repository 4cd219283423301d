import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import { startDemoFleet } from './demo-fleet.ts';

describe('startDemoFleet (npm start)', () => {
  let t: TestPanel;
  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
  });
  after(() => t?.[Symbol.asyncDispose]());

  it('enrolls simulated devices in two groups over real mutual TLS, and again after a restart', async () => {
    for (let round = 0; round < 2; round += 1) {
      const fleet = await startDemoFleet(t.panel, 4);
      try {
        const started = Date.now();
        for (;;) {
          const online = await Promise.all(
            ['demo-plant-a-01', 'demo-plant-a-02', 'demo-substation-7-01', 'demo-substation-7-02'].map(
              async (id) => (await t.panel.services.presence.of(id)).online,
            ),
          );
          const acknowledged = await t.panel.services.db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM device_policy_status WHERE device_id LIKE 'demo-%' AND state = 'applied'",
          );
          // Every device verified and acknowledged the crypto baseline; the substation's also its firewall.
          if (online.every(Boolean) && acknowledged.rows[0]?.n === 6) break;
          assert.ok(Date.now() - started < 30_000, 'the demo devices came online');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await fleet.stop();
      }
    }
    const groups = await t.panel.services.db.query<{ group_name: string; target_level: string; n: number }>(
      `SELECT d.group_name, g.target_level, count(*)::int AS n FROM devices d
         JOIN device_groups g ON g.name = d.group_name WHERE d.id LIKE 'demo-%' GROUP BY 1, 2 ORDER BY 1`,
    );
    const rules = await t.panel.services.rules.list();
    assert.deepEqual(
      rules.map((r) => r.id),
      ['demo-repeated-login-failures'],
      'the demo rule exists once, whatever the number of starts',
    );
    assert.equal((await t.panel.services.policies.list()).length, 2);
    assert.deepEqual(groups.rows, [
      { group_name: 'plant-a', target_level: 'SLB', n: 2 },
      { group_name: 'substation-7', target_level: 'SLE', n: 2 },
    ]);
  });
});
