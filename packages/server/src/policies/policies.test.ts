import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { policyTrust, signedPolicyBytes, verifySignedPolicy } from '@palisade/core';
import { skipUnlessCommand, startTestPanel, type TestPanel } from '@palisade/testkit';
import { advancePolicyRollouts } from '../panel/panel-services.ts';
import { rolloutBucket } from './policy-rollouts.ts';

const run = promisify(execFile);

const FIREWALL = {
  defaultIngress: 'drop',
  defaultEgress: 'accept',
  logDrops: true,
  rules: [
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: 22, to: 22 }],
      comment: 'ssh',
    },
  ],
};

const DEVICES = Array.from({ length: 20 }, (_, i) => `pol-${String(i).padStart(2, '0')}`);

describe('policies', () => {
  let t: TestPanel;
  let admin: string;
  let firewallId: string;
  before(async () => {
    t = await startTestPanel({ hosts: ['127.0.0.1'] });
    admin = await t.adminToken();
    await t.inject('PUT', '/v1/groups/line-1', { token: admin, body: { targetLevel: 'SLE' } });
    for (const id of DEVICES)
      await t.panel.services.db.query(
        "INSERT INTO devices (id, group_name, state) VALUES ($1, 'line-1', 'enrolled')",
        [id],
      );
  });
  after(() => t?.[Symbol.asyncDispose]());

  it('refuses a firewall policy that would cut devices off from the panel, naming the rule', async () => {
    const lockout = await t.inject('POST', '/v1/policies', {
      token: admin,
      body: {
        kind: 'firewall',
        name: 'lockout',
        document: {
          ...FIREWALL,
          rules: [{ direction: 'egress', action: 'drop', protocol: 'tcp', addresses: ['127.0.0.0/8'] }],
        },
      },
    });
    assert.equal(lockout.statusCode, 422, lockout.body);
    assert.equal(lockout.json().code, 'POLICY_LOCKS_OUT_PANEL');
    assert.equal(lockout.json().problems[0].path, '/rules/0');
    const invalid = await t.inject('POST', '/v1/policies', {
      token: admin,
      body: {
        kind: 'firewall',
        name: 'broken',
        document: { ...FIREWALL, defaultIngress: 'maybe', extra: 1 },
      },
    });
    assert.equal(invalid.statusCode, 400);
    const paths = invalid.json().problems.map((p: { path: string }) => p.path);
    assert.ok(paths.includes('/defaultIngress') && paths.includes('/extra'), paths);
    assert.equal((await t.inject('GET', '/v1/policies', { token: admin })).json().policies.length, 0);
  });

  it('publishes a signed policy, assigns it to a group and delivers it to every device of the group', async () => {
    const created = await t.inject('POST', '/v1/policies', {
      token: admin,
      body: { kind: 'firewall', name: 'line-baseline', document: FIREWALL },
    });
    assert.equal(created.statusCode, 201, created.body);
    firewallId = created.json().policyId;
    const preview = await t.inject('PUT', '/v1/policy-assignments', {
      token: admin,
      body: {
        kind: 'firewall',
        scope: { type: 'group', group: 'line-1' },
        policyId: firewallId,
        dryRun: true,
      },
    });
    assert.deepEqual(
      preview.json().devices.sort(),
      DEVICES,
      'the preview lists the devices that would change',
    );
    assert.equal(
      (await t.inject('GET', '/v1/policy-assignments', { token: admin })).json().assignments.length,
      0,
    );
    const assigned = await t.inject('PUT', '/v1/policy-assignments', {
      token: admin,
      body: { kind: 'firewall', scope: { type: 'group', group: 'line-1' }, policyId: firewallId },
    });
    assert.deepEqual(assigned.json().devices.sort(), DEVICES);

    const effective = (await t.inject('GET', '/v1/devices/pol-03/effective-policy', { token: admin })).json();
    assert.deepEqual(effective.effective.firewall.scope, { type: 'group', groupId: 'line-1' });
    assert.equal(effective.desired.firewall.version, 1);

    const delivery = t.panel.services.policyDelivery;
    const envelope = await delivery.envelope('pol-03', 'firewall');
    const trust = delivery.trust().keys;
    assert.deepEqual(
      trust.map((k) => k.algorithm).sort(),
      ['ecdsa-p256-sha256', 'ml-dsa-65'],
      'hybrid signing',
    );
    const verified = verifySignedPolicy(
      envelope,
      policyTrust(
        trust.map((k) => createPublicKey(k.publicKeyPem)),
        ['ecdsa-p256-sha256', 'ml-dsa-65'],
      ),
      undefined,
      'firewall',
    );
    assert.equal(verified.payloadDigest, effective.desired.firewall.digest, 'desired-state names the digest');
    assert.deepEqual(verified.payload.document, FIREWALL);
    await assert.rejects(
      delivery.envelope('nobody', 'firewall'),
      (error: Error & { code?: string }) => error.code === 'POLICY_NOT_FOUND',
    );
  });

  it('has the classical signature verified by openssl, independently of our code', {
    skip: skipUnlessCommand('openssl', ['version']),
  }, async () => {
    const envelope = await t.panel.services.policyDelivery.envelope('pol-01', 'firewall');
    const key = t.panel.services.policyDelivery.trust().keys.find((k) => k.algorithm === 'ecdsa-p256-sha256');
    const signature = envelope.signatures.find((s) => s.algorithm === 'ecdsa-p256-sha256');
    assert.ok(key && signature);
    const dir = await mkdtemp(join(tmpdir(), 'palisade-policy-sig-'));
    try {
      const raw = Buffer.from(signature.signature, 'base64');
      // P1363 r‖s → DER SEQUENCE { INTEGER r, INTEGER s }, the form `openssl dgst -verify` reads.
      const int = (b: Buffer) => {
        let v = b;
        while (v.length > 1 && v[0] === 0 && ((v[1] ?? 0) & 0x80) === 0) v = v.subarray(1);
        if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
        return Buffer.concat([Buffer.from([0x02, v.length]), v]);
      };
      const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
      await writeFile(join(dir, 'sig.der'), Buffer.concat([Buffer.from([0x30, body.length]), body]));
      await writeFile(join(dir, 'payload.json'), signedPolicyBytes(envelope.payload));
      await writeFile(join(dir, 'key.pem'), key.publicKeyPem);
      const { stdout } = await run('openssl', [
        'dgst',
        '-sha256',
        '-verify',
        join(dir, 'key.pem'),
        '-signature',
        join(dir, 'sig.der'),
        join(dir, 'payload.json'),
      ]);
      assert.match(stdout, /Verified OK/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives a device-level or tag assignment precedence over the group', async () => {
    const special = await t.inject('POST', '/v1/policies', {
      token: admin,
      body: { kind: 'firewall', name: 'maintenance', document: { ...FIREWALL, defaultIngress: 'accept' } },
    });
    const specialId = special.json().policyId;
    await t.inject('PUT', '/v1/devices/pol-07/tags', { token: admin, body: { tags: ['maintenance'] } });
    const tagged = await t.inject('PUT', '/v1/policy-assignments', {
      token: admin,
      body: { kind: 'firewall', scope: { type: 'tag', tag: 'maintenance' }, policyId: specialId },
    });
    assert.deepEqual(tagged.json().devices, ['pol-07']);
    const desired = await t.panel.services.policyDelivery.desired('pol-07');
    assert.equal(desired.firewall?.policyId, specialId);
    assert.equal((await t.panel.services.policyDelivery.desired('pol-08')).firewall?.policyId, firewallId);
    const removed = await t.inject('PUT', '/v1/policy-assignments', {
      token: admin,
      body: { kind: 'firewall', scope: { type: 'tag', tag: 'maintenance' }, policyId: null },
    });
    assert.deepEqual(removed.json().devices, ['pol-07']);
    assert.equal((await t.panel.services.policyDelivery.desired('pol-07')).firewall?.policyId, firewallId);
  });

  it('rolls a new version out in phases, pauses on failures, and cancelling returns devices to the old one', async () => {
    const v2 = await t.inject('POST', `/v1/policies/${firewallId}/versions`, {
      token: admin,
      body: {
        document: { ...FIREWALL, logDrops: false },
        rollout: { phases: [25, 100], failureThreshold: 0.3, soakSeconds: 0 },
      },
    });
    assert.equal(v2.statusCode, 201, v2.body);
    const { rolloutId, version } = v2.json();
    assert.equal(version, 2);
    const inPhase = DEVICES.filter((id) => rolloutBucket(rolloutId, id) < 25);
    const outside = DEVICES.filter((id) => rolloutBucket(rolloutId, id) >= 25);
    assert.ok(inPhase.length > 0 && outside.length > 0, 'the fixture has devices on both sides');
    const delivery = t.panel.services.policyDelivery;
    for (const id of inPhase) assert.equal((await delivery.desired(id)).firewall?.version, 2, id);
    for (const id of outside) assert.equal((await delivery.desired(id)).firewall?.version, 1, id);

    // Every device of the phase fails: more than 30 % → the rollout pauses and says why.
    for (const id of inPhase)
      await delivery.report(id, 'firewall', {
        policyId: firewallId,
        version: 2,
        state: 'failed',
        message: 'nft refused',
      });
    await advancePolicyRollouts(t.panel.services);
    const paused = (await t.inject('GET', `/v1/policy-rollouts/${rolloutId}`, { token: admin })).json();
    assert.equal(paused.status, 'paused');
    assert.equal(paused.failed, inPhase.length);
    assert.match(paused.statusReason, /failed in phase 1/);
    const events = (
      await t.inject('GET', '/v1/events?type=policy.rollout_paused,policy.apply_failed', { token: admin })
    ).json();
    assert.ok(events.events.some((e: { type: string }) => e.type === 'policy.rollout_paused'));

    const cancelled = await t.inject('POST', `/v1/policy-rollouts/${rolloutId}/cancel`, { token: admin });
    assert.equal(cancelled.json().status, 'cancelled');
    for (const id of inPhase) assert.equal((await delivery.desired(id)).firewall?.version, 1, id);
    const again = await t.inject('POST', `/v1/policy-rollouts/${rolloutId}/resume`, { token: admin });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'ROLLOUT_STATE_CONFLICT');
  });

  it('moves a healthy rollout phase by phase to completion', async () => {
    const v3 = await t.inject('POST', `/v1/policies/${firewallId}/versions`, {
      token: admin,
      body: { document: FIREWALL, rollout: { phases: [50, 100], failureThreshold: 0.5, soakSeconds: 0 } },
    });
    const { rolloutId } = v3.json();
    const delivery = t.panel.services.policyDelivery;
    const ack = async () => {
      for (const id of DEVICES) {
        const desired = (await delivery.desired(id)).firewall;
        if (desired?.version === 3)
          await delivery.report(id, 'firewall', { policyId: firewallId, version: 3, state: 'applied' });
      }
    };
    await ack();
    await advancePolicyRollouts(t.panel.services);
    assert.equal((await t.panel.services.policyRollouts.progress(rolloutId)).phase, 1);
    await ack();
    await advancePolicyRollouts(t.panel.services);
    const done = await t.panel.services.policyRollouts.progress(rolloutId);
    assert.equal(done.status, 'completed');
    const reports = (
      await t.inject('GET', `/v1/policies/${firewallId}/versions/3/reports`, { token: admin })
    ).json();
    assert.equal(reports.reports.length, DEVICES.length);
    assert.ok(
      reports.reports.every(
        (r: { state: string; reportedAt: string }) =>
          r.state === 'applied' && r.reportedAt >= reports.publishedAt,
      ),
    );
    for (const id of DEVICES) assert.equal((await delivery.desired(id)).firewall?.version, 3);
    const versions = await t.panel.services.policies.versions(firewallId);
    assert.deepEqual(
      versions.map((v) => v.version),
      [3, 2, 1],
    );
    await assert.rejects(
      t.panel.services.db.query('UPDATE policy_versions SET digest = $1', ['0'.repeat(64)]),
      /immutable/,
      'published versions cannot be edited in the database',
    );
  });

  it('refuses status reports for versions that do not exist, and non-admins publishing', async () => {
    await assert.rejects(
      t.panel.services.policyDelivery.report('pol-01', 'firewall', {
        policyId: firewallId,
        version: 99,
        state: 'applied',
      }),
      (error: Error & { code?: string }) => error.code === 'POLICY_STATUS_INVALID',
    );
    const operator = await t.operatorToken('ops-pol', 'operator');
    const denied = await t.inject('POST', `/v1/policies/${firewallId}/versions`, {
      token: operator,
      body: { document: FIREWALL },
    });
    assert.equal(denied.statusCode, 403);
    const schema = await t.inject('GET', '/v1/policies/schemas/firewall', { token: operator });
    assert.equal(schema.json().$id, 'https://palisade.dev/schemas/policy/firewall.json');
  });
});
