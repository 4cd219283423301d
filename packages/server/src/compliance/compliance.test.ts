import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ControlStatus } from '@palisade/core';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import type { Db } from '../db/index.ts';
import type { PanelServices } from '../panel/index.ts';
import { ComplianceEvaluator } from './compliance-evaluator.ts';
import {
  GROUP,
  inventory,
  issueCertificate,
  NEW_DEVICE,
  reportInventory,
  SOFT_DEVICE,
  seedFleet,
  TPM_DEVICE,
} from './compliance-test-fleet.ts';

/** The results the fixture fleet must produce, device by device (docs/compliance.md explains each). */
const EXPECTED: Readonly<Record<string, Readonly<Record<string, ControlStatus>>>> = {
  [TPM_DEVICE]: {
    'RT-1': 'met',
    'RT-2': 'met',
    'RT-3': 'met',
    'ID-1': 'met',
    'ID-2': 'met',
    'ID-3': 'met',
    'SB-1': 'unknown',
    'SB-2': 'met',
    'SB-3': 'unknown',
    'CR-1': 'met',
    'CR-2': 'unknown',
    'CR-3': 'not_met',
    'CR-4': 'not_met',
    'CR-5': 'met',
    'CM-1': 'unknown',
    'CM-2': 'met',
    'SC-1': 'met',
    'SC-2': 'not_met',
    'SC-3': 'met',
    'SC-4': 'met',
    'MO-1': 'unknown',
    'MO-2': 'not_met',
    'PD-1': 'met',
    'PD-2': 'met',
    'PD-3': 'met',
    'SI-1': 'met',
    'SI-2': 'not_met',
    'SI-3': 'not_met',
    'SI-4': 'not_met',
  },
  [SOFT_DEVICE]: {
    'RT-1': 'met',
    'RT-2': 'not_met',
    'RT-3': 'not_met',
    'ID-1': 'met',
    'ID-2': 'met',
    'ID-3': 'not_met',
    'SB-1': 'not_met',
    'SB-2': 'unknown',
    'SB-3': 'unknown',
    'CR-1': 'not_met',
    'CR-2': 'unknown',
    'CR-3': 'not_met',
    'CR-4': 'not_met',
    'CR-5': 'met',
    'CM-1': 'unknown',
    'CM-2': 'not_met',
    'SC-1': 'met',
    'SC-2': 'not_met',
    'SC-3': 'not_applicable',
    'SC-4': 'met',
    'MO-1': 'unknown',
    'MO-2': 'not_met',
    'PD-1': 'unknown',
    'PD-2': 'unknown',
    'PD-3': 'met',
    'SI-1': 'unknown',
    'SI-2': 'not_met',
    'SI-3': 'not_met',
    'SI-4': 'not_met',
  },
  [NEW_DEVICE]: {
    'RT-1': 'unknown',
    'RT-2': 'unknown',
    'RT-3': 'unknown',
    'ID-1': 'not_met',
    'ID-2': 'not_met',
    'ID-3': 'not_met',
    'SB-1': 'unknown',
    'SB-2': 'unknown',
    'SB-3': 'unknown',
    'CR-1': 'unknown',
    'CR-2': 'unknown',
    'CR-3': 'not_met',
    'CR-4': 'not_met',
    'CR-5': 'not_met',
    'CM-1': 'unknown',
    'CM-2': 'unknown',
    'SC-1': 'not_met',
    'SC-2': 'not_met',
    'SC-3': 'unknown',
    'SC-4': 'unknown',
    'MO-1': 'unknown',
    'MO-2': 'not_met',
    'PD-1': 'unknown',
    'PD-2': 'unknown',
    'PD-3': 'unknown',
    'SI-1': 'unknown',
    'SI-2': 'not_met',
    'SI-3': 'not_met',
    'SI-4': 'not_met',
  },
};

async function storedStatuses(db: Db, deviceId: string): Promise<Record<string, string>> {
  const rows = await db.query<{ control: string; status: string }>(
    'SELECT control, status FROM compliance_status WHERE device_id = $1',
    [deviceId],
  );
  return Object.fromEntries(rows.rows.map((r) => [r.control, r.status]));
}

describe('compliance', () => {
  let t: TestPanel;
  let services: PanelServices;
  let viewer: string;

  before(async () => {
    t = await startTestPanel();
    services = t.panel.services;
    await seedFleet(services);
    await services.compliance.settled();
    // As the panel's first pass would: every device evaluated, whether or not its evidence changed since.
    await services.compliance.runFullPass({ force: true });
    viewer = await t.operatorToken('compliance-viewer', 'viewer');
  });
  after(() => t[Symbol.asyncDispose]());

  describe('GET /v1/compliance/devices/:id', () => {
    it('answers every control of the device with its status, reason and evidence, and the gaps to the target', async () => {
      const response = await t.inject('GET', `/v1/compliance/devices/${TPM_DEVICE}`, { token: viewer });
      assert.equal(response.statusCode, 200, response.body);
      const view = response.json();
      assert.equal(view.targetLevel, 'SLE');
      assert.equal(view.achievedLevel, 'none');
      assert.equal(view.meetsTarget, false);
      assert.deepEqual(
        Object.fromEntries(
          view.controls.map((c: { control: string; status: string }) => [c.control, c.status]),
        ),
        EXPECTED[TPM_DEVICE],
      );
      const id1 = view.controls.find((c: { control: string }) => c.control === 'ID-1');
      assert.equal(id1.evidence[0].kind, 'certificate');
      assert.deepEqual(id1.nist80053, ['IA-3', 'IA-5(2)', 'SC-17']);
      // SLE needs every B and E control; the gaps name the remedy of each.
      assert.deepEqual(
        view.gaps.map((g: { control: string }) => g.control),
        ['SB-1', 'SB-3', 'CR-2', 'CR-3', 'CR-4', 'CM-1', 'SC-2'],
      );
      const cr4 = view.gaps.find((g: { control: string }) => g.control === 'CR-4');
      assert.equal(cr4.remedy, 'Assign a crypto policy to group plant-a (or to the device)');
    });

    it('produces the expected matrix for every device of the fixture fleet, and stores it', async () => {
      for (const deviceId of [TPM_DEVICE, SOFT_DEVICE, NEW_DEVICE])
        assert.deepEqual(await storedStatuses(services.db, deviceId), EXPECTED[deviceId], deviceId);
    });

    it('answers 404 DEVICE_NOT_FOUND for a device that does not exist', async () => {
      const response = await t.inject('GET', '/v1/compliance/devices/no-such-device', { token: viewer });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'DEVICE_NOT_FOUND');
    });
  });

  describe('GET /v1/compliance/groups/:name', () => {
    it('counts devices per level, ranks the failing controls and pages the matrix', async () => {
      const response = await t.inject('GET', `/v1/compliance/groups/${GROUP}?limit=2`, { token: viewer });
      assert.equal(response.statusCode, 200, response.body);
      const view = response.json();
      assert.equal(view.devices, 3);
      assert.equal(view.evaluated, 3);
      assert.deepEqual(view.levels, { none: 3, SLB: 0, SLE: 0, SLC: 0 });
      assert.equal(view.atTarget, 0);
      // Not met on all three devices: the crypto policy (CR-3, CR-4), firewall (SC-2), MO-2 and SI-2..4.
      assert.deepEqual(
        view.failingControls
          .slice(0, 7)
          .map((f: { control: string; notMet: number }) => `${f.control}:${f.notMet}`),
        ['CR-3:3', 'CR-4:3', 'MO-2:3', 'SC-2:3', 'SI-2:3', 'SI-3:3', 'SI-4:3'],
      );
      assert.equal(view.matrix.controls.length, 29);
      assert.deepEqual(
        view.matrix.rows.map((r: { deviceId: string }) => r.deviceId),
        [NEW_DEVICE, SOFT_DEVICE],
      );
      assert.equal(view.matrix.nextAfter, SOFT_DEVICE);
      assert.equal(view.matrix.rows[1].statuses[view.matrix.controls.indexOf('SC-3')], 'not_applicable');
    });

    it('answers 404 GROUP_NOT_FOUND for a group that does not exist', async () => {
      const response = await t.inject('GET', '/v1/compliance/groups/no-such-group', { token: viewer });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'GROUP_NOT_FOUND');
    });
  });

  describe('re-evaluation when evidence changes', () => {
    it('follows an inventory report: an unencrypted root volume fails CR-1 within the second', async () => {
      await reportInventory(
        services,
        TPM_DEVICE,
        inventory({ secureBoot: 'enabled', rootEncrypted: false, tpm: true }),
      );
      await services.compliance.settled();
      assert.equal((await storedStatuses(services.db, TPM_DEVICE))['CR-1'], 'not_met');
      await reportInventory(
        services,
        TPM_DEVICE,
        inventory({ secureBoot: 'enabled', rootEncrypted: true, tpm: true }),
      );
      await services.compliance.settled();
      assert.equal((await storedStatuses(services.db, TPM_DEVICE))['CR-1'], 'met');
    });

    it('follows a certificate issued in a transaction (NOTIFY at commit): the claimed device gains ID-1', async () => {
      await issueCertificate(services, NEW_DEVICE);
      // The notification arrives after the commit; wait for it to be queued and evaluated.
      for (let i = 0; i < 50 && (await storedStatuses(services.db, NEW_DEVICE))['ID-1'] !== 'met'; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await services.compliance.settled();
      const statuses = await storedStatuses(services.db, NEW_DEVICE);
      assert.equal(statuses['ID-1'], 'met');
      assert.equal(statuses['CR-5'], 'met');
    });

    it('follows a revocation: ID-1 and SC-1 fail, ID-2 still holds', async () => {
      await services.devices.revoke({ actor: 'operator:compliance-test' }, SOFT_DEVICE, 'keyCompromise');
      await services.compliance.settled();
      const statuses = await storedStatuses(services.db, SOFT_DEVICE);
      assert.deepEqual(
        { id1: statuses['ID-1'], sc1: statuses['SC-1'], id2: statuses['ID-2'] },
        { id1: 'not_met', sc1: 'not_met', id2: 'met' },
      );
    });
  });

  describe('the full pass', () => {
    it('runs on one replica per interval, records the daily trend, and shows in the fleet view', async () => {
      const first = await services.compliance.runFullPass({ intervalMs: 3_600_000, force: true });
      assert.equal(first?.devices, 3);
      assert.equal(await services.compliance.runFullPass({ intervalMs: 3_600_000 }), undefined);
      const response = await t.inject('GET', '/v1/compliance/fleet?days=7', { token: viewer });
      assert.equal(response.statusCode, 200, response.body);
      const fleet = response.json();
      const plant = fleet.groups.find((g: { group: string }) => g.group === GROUP);
      assert.equal(plant.devices, 3);
      const today = new Date().toISOString().slice(0, 10);
      const point = fleet.trend.find(
        (p: { day: string; group: string }) => p.day === today && p.group === GROUP,
      );
      assert.equal(point.devices, 3);
      assert.equal(point.targetLevel, 'SLE');
      assert.equal(point.notMet['SI-4'], 3);
      assert.equal(fleet.lastFullPass.devices, 3);
    });
  });

  describe('decommissioning', () => {
    it('takes a decommissioned device out of the compliance tables once its certificates are revoked', async () => {
      await services.devices.decommission({ actor: 'operator:compliance-test' }, NEW_DEVICE);
      await services.compliance.settled();
      const rows = await services.db.query('SELECT 1 FROM compliance_devices WHERE device_id = $1', [
        NEW_DEVICE,
      ]);
      assert.equal(rows.rowCount, 0);
      const response = await t.inject('GET', `/v1/compliance/devices/${NEW_DEVICE}`, { token: viewer });
      assert.equal(response.statusCode, 409);
      assert.equal(response.json().code, 'DEVICE_STATE_CONFLICT');
    });
  });

  describe('evidence collection', () => {
    it('reads any number of devices with the same number of queries (set-based, never one per device)', async () => {
      let queries = 0;
      const counting: Db = {
        ...services.db,
        query: (sql, params) => {
          queries += 1;
          return services.db.query(sql, params);
        },
        transaction: (fn) =>
          services.db.transaction((tx) =>
            fn({
              ...tx,
              query: (sql, params) => {
                queries += 1;
                return tx.query(sql, params);
              },
            }),
          ),
      };
      const evaluator = new ComplianceEvaluator(
        { ...services, db: counting, postQuantumGroup: 'X25519MLKEM768' },
        { now: () => new Date() },
      );
      const extra = Array.from({ length: 44 }, (_, i) => `gw-extra-${i}`);
      for (const id of extra) await services.devices.create({ actor: 'operator:test' }, { id, group: GROUP });
      const context = await evaluator.context(true);
      // Never evaluated before, both sets: the same statements, 4 devices or 40.
      queries = 0;
      await evaluator.evaluateDevices(extra.slice(0, 4), context);
      const few = queries;
      queries = 0;
      await evaluator.evaluateDevices(extra.slice(4), context);
      assert.equal(queries, few);
      // Evaluated again, unchanged: the same again, whatever the number.
      queries = 0;
      await evaluator.evaluateDevices([TPM_DEVICE], context);
      const one = queries;
      queries = 0;
      await evaluator.evaluateDevices([TPM_DEVICE, SOFT_DEVICE, ...extra], context);
      assert.equal(queries, one);
      assert.ok(few <= 9 && one <= 9, `${few} and ${one} queries`);
    });
  });
});
