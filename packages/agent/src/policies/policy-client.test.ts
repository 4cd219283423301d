import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { SignedPolicy } from '@palisade/core';
import { skipUnlessCommand } from '@palisade/testkit';
import type { JsonValue } from '../outbox/index.ts';
import type { PolicyPanel } from './panel-link.ts';
import { PolicyClient } from './policy-client.ts';
import type { PolicySettings } from './policy-settings.ts';
import {
  capturingLogger,
  desiredOf,
  FakePolicyPanel,
  newPolicyId,
  PolicyKeys,
  payloadOf,
  until,
} from './policy-test-support.ts';

const skip =
  skipUnlessCommand('openssl', ['version']) ||
  (process.getuid?.() === 0 ? false : 'not root: config files are chowned');

const MONITORING = {
  protectedPaths: [{ path: '/etc/plc/plc.conf', class: 'config', response: 'alert', recursive: false }],
  scanIntervalSeconds: 300,
  fullVerifyIntervalSeconds: 86_400,
  cryptoScan: {
    intervalSeconds: 86_400,
    certificateDirs: ['/etc/ssl/certs'],
    tlsPorts: 'listening',
    expiryWarningDays: 30,
  },
};
const SIEM = {
  forward: { minSeverity: 5 },
  rules: [
    {
      id: 'usb-inserted',
      title: 'USB storage inserted',
      severity: 8,
      match: { field: 'type', op: 'eq', value: 'usb.inserted' },
      detect: { kind: 'match' },
    },
  ],
};

describe('PolicyClient against a panel serving the device API contract', { skip }, () => {
  let work: string;
  let panel: FakePolicyPanel;
  const keys = new PolicyKeys();
  let stateDir: string;
  let managed: string;
  let passwd: string;
  let events: Array<{ kind: string; severity: number; body: JsonValue }>;
  let clients: PolicyClient[];
  let links: Array<{ close(): void }>;
  let log: ReturnType<typeof capturingLogger>;
  const configId = newPolicyId();

  const settings = (): PolicySettings => ({
    stateDir,
    firewall: { nftPath: 'nft', nftPrefix: [], confirmWithinSeconds: 60 },
    crypto: { agentTls: false },
    config: { allowedDirectories: [managed] },
  });
  const open = async (): Promise<PolicyClient> => {
    const client = await PolicyClient.open({
      deviceId: panel.deviceId,
      settings: settings(),
      panelUrls: [panel.endpoint.url],
      logger: log.logger,
      report: async (kind, severity, body) => void events.push({ kind, severity, body }),
      accounts: { passwd, group: join(work, 'group') },
      backoff: { baseMs: 20, capMs: 50 },
    });
    clients.push(client);
    const { panel: link, client: http } = panel.link();
    links.push(http);
    client.attach(link);
    return client;
  };
  const configFile = () => join(managed, 'app.conf');
  const configEnvelope = (version: number, content: string, extra: Record<string, unknown> = {}) =>
    keys.envelope(
      payloadOf(
        'config',
        { files: [{ path: configFile(), content, mode: '0640', ...extra }] },
        configId,
        version,
      ),
    );
  /** Syncs what the panel's desired-state says, then waits until every status report reached it. */
  const syncNow = async (client: PolicyClient) => {
    const results = await client.sync(structuredClone(panel.policies));
    await client.flushStatus();
    return results;
  };
  const lastStatus = (kind: string) => panel.statuses.filter((s) => s.kind === kind).at(-1)?.body;
  const appliedState = async () =>
    JSON.parse(await readFile(join(stateDir, 'applied.json'), 'utf8')) as {
      applied: Record<string, { version: number; digest: string }>;
    };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-policy-client-'));
    passwd = join(work, 'passwd');
    await writeFile(join(work, 'group'), 'root:x:0:\n');
    panel = await FakePolicyPanel.start();
  });
  after(async () => {
    await panel?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const dir = await mkdtemp(join(work, 'case-'));
    stateDir = join(dir, 'state');
    managed = join(dir, 'managed');
    await writeFile(passwd, 'root:x:0:0:root:/root:/bin/sh\n');
    panel.policies = {};
    panel.envelopes.clear();
    panel.statuses.length = 0;
    panel.requests.length = 0;
    panel.trust = keys.trustDocument();
    panel.failStatuses = 0;
    events = [];
    clients = [];
    links = [];
    log = capturingLogger();
  });
  afterEach(() => {
    for (const client of clients) client.close();
    for (const link of links) link.close();
  });

  /** v1 of the config policy applied, as the starting point of the refusal tests. */
  const withV1 = async (): Promise<{ client: PolicyClient; v1: SignedPolicy }> => {
    const client = await open();
    const v1 = await configEnvelope(1, 'v1\n');
    panel.publish(v1);
    assert.deepEqual(await syncNow(client), { config: 'applied' });
    return { client, v1 };
  };

  /** The refusal contract: `failed` with the code first, and v1 still in force (file and state). */
  const assertRefused = async (client: PolicyClient, code: string, message?: RegExp) => {
    assert.deepEqual(await syncNow(client), { config: 'failed' });
    const status = lastStatus('config');
    assert.equal(status?.state, 'failed');
    assert.ok(status?.message?.startsWith(`${code}: `), status?.message);
    if (message) assert.match(status?.message ?? '', message);
    assert.equal(await readFile(configFile(), 'utf8'), 'v1\n', 'the previous file is in force');
    assert.equal((await appliedState()).applied.config?.version, 1, 'the previous policy is the applied one');
  };

  describe('#sync', () => {
    it('pins the trust, verifies and applies each kind, and acknowledges `applied` with the live-state hash', async () => {
      const client = await open();
      const changes: unknown[] = [];
      client.onChange('monitoring', (document) => changes.push(document));
      const config = await configEnvelope(1, 'unit_id = 17\n');
      const monitoring = await keys.envelope(payloadOf('monitoring', MONITORING, newPolicyId(), 4));
      const siem = await keys.envelope(payloadOf('siem', SIEM, newPolicyId(), 1));
      for (const envelope of [config, monitoring, siem]) panel.publish(envelope);

      assert.deepEqual(await syncNow(client), { config: 'applied', monitoring: 'applied', siem: 'applied' });

      assert.equal(await readFile(configFile(), 'utf8'), 'unit_id = 17\n');
      const [applied] = panel.statuses.filter((s) => s.kind === 'config');
      assert.deepEqual(
        { ...applied?.body, liveStateHash: undefined },
        { policyId: configId, version: 1, state: 'applied', liveStateHash: undefined },
      );
      assert.match(applied?.body.liveStateHash ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(lastStatus('monitoring'), {
        policyId: monitoring.payload.policyId,
        version: 4,
        state: 'applied',
      });
      assert.deepEqual(client.document('monitoring'), monitoring.payload.document);
      assert.deepEqual(changes, [monitoring.payload.document]);
      assert.equal(panel.requests.filter((r) => r.endsWith('/policy-trust')).length, 1);
      assert.equal((await stat(join(stateDir, 'trust.json'))).mode & 0o777, 0o600);
      // The siem policy now screens reports: below minSeverity stays, the rule fires.
      assert.deepEqual(client.screen('fim.modified', 2, {})?.records, []);
      assert.deepEqual(
        client.screen('usb.inserted', 6, {})?.records.map((r) => r.kind),
        ['usb.inserted', 'rule.matched'],
      );
    });

    it('is idempotent: the same desired state fetches and reports nothing more', async () => {
      const { client } = await withV1();
      const requests = panel.requests.length;
      const statuses = panel.statuses.length;
      assert.deepEqual(await syncNow(client), { config: 'unchanged' });
      assert.equal(panel.requests.length, requests);
      assert.equal(panel.statuses.length, statuses);
    });

    it('applies a newer version over the previous one', async () => {
      const { client } = await withV1();
      panel.publish(await configEnvelope(2, 'v2\n'));
      assert.deepEqual(await syncNow(client), { config: 'applied' });
      assert.equal(await readFile(configFile(), 'utf8'), 'v2\n');
      assert.deepEqual(panel.statesOf('config'), ['applied', 'applied']);
    });

    it('ignores a desired state without `policies` (an older panel): nothing is removed', async () => {
      const { client } = await withV1();
      assert.deepEqual(await client.sync(undefined), {});
      assert.equal((await appliedState()).applied.config?.version, 1);
    });
  });

  describe('refusals: previous state in force, `failed` with the precise reason', () => {
    it('a tampered envelope: POLICY_SIGNATURE_INVALID', async () => {
      const { client } = await withV1();
      const v2 = await configEnvelope(2, 'v2\n');
      const tampered = structuredClone(v2) as unknown as {
        payload: { document: { files: Array<{ content: string }> } };
      };
      (tampered.payload.document.files[0] as { content: string }).content = 'evil\n';
      panel.envelopes.set('config', tampered);
      panel.policies.config = desiredOf(tampered as unknown as SignedPolicy);
      await assertRefused(client, 'POLICY_SIGNATURE_INVALID', /signature 0 does not verify/);
    });

    it('a policy signed by a foreign key: POLICY_SIGNER_UNKNOWN', async () => {
      const { client } = await withV1();
      panel.publish(await new PolicyKeys().envelope(payloadOf('config', { files: [] }, configId, 2)));
      await assertRefused(client, 'POLICY_SIGNER_UNKNOWN');
    });

    it('an older version (replay): POLICY_VERSION_REPLAYED', async () => {
      const { client, v1 } = await withV1();
      panel.publish(await configEnvelope(2, 'v2\n'));
      await syncNow(client);
      await writeFile(configFile(), 'v1\n'); // only so assertRefused can compare; state says v2
      panel.publish(v1);
      assert.deepEqual(await syncNow(client), { config: 'failed' });
      assert.match(
        lastStatus('config')?.message ?? '',
        /^POLICY_VERSION_REPLAYED: .*version 1 is older than the accepted version 2/,
      );
      assert.equal((await appliedState()).applied.config?.version, 2);
    });

    it('an envelope that is not the one desired-state named: POLICY_DIGEST_MISMATCH', async () => {
      const { client } = await withV1();
      const v2 = await configEnvelope(2, 'v2\n');
      panel.publish(v2);
      panel.policies.config = { ...desiredOf(v2), digest: 'f'.repeat(64) };
      await assertRefused(client, 'POLICY_DIGEST_MISMATCH');
    });

    it('a signed payload the schema refuses: POLICY_INVALID naming the member', async () => {
      const { client } = await withV1();
      const bad = keys.signRaw(
        payloadOf('config', { files: [{ path: configFile(), content: 'x', mode: '0777' }] }, configId, 2),
      );
      panel.publish(bad);
      await assertRefused(client, 'POLICY_INVALID', /\/payload\/document\/files\/0\/mode/);
    });

    it('a config file outside the allowed directories: CONFIG_PATH_REFUSED', async () => {
      const { client } = await withV1();
      panel.publish(
        await keys.envelope(
          payloadOf(
            'config',
            { files: [{ path: join(work, 'elsewhere.conf'), content: 'x', mode: '0644' }] },
            configId,
            2,
          ),
        ),
      );
      await assertRefused(client, 'CONFIG_PATH_REFUSED');
    });

    it('does not fetch a refused policy again on the heartbeat, and reports it once', async () => {
      const { client } = await withV1();
      panel.publish(await new PolicyKeys().envelope(payloadOf('config', { files: [] }, configId, 2)));
      await syncNow(client);
      const fetched = panel.requests.filter((r) => r.endsWith('/policies/config')).length;
      await client.checkDrift();
      await client.flushStatus();
      assert.equal(panel.requests.filter((r) => r.endsWith('/policies/config')).length, fetched);
      assert.deepEqual(panel.statesOf('config'), ['applied', 'failed']);
    });

    it('retries a passing failure on the heartbeat (a user created later), reporting the failure once', async () => {
      const client = await open();
      panel.publish(await configEnvelope(1, 'x', { owner: 'historian' }));
      assert.deepEqual(await syncNow(client), { config: 'failed' });
      assert.match(lastStatus('config')?.message ?? '', /^CONFIG_OWNER_UNKNOWN: user historian/);
      assert.deepEqual((await client.checkDrift()).config, 'failed');
      await writeFile(passwd, 'root:x:0:0::/:/bin/sh\nhistorian:x:4500:0::/:/bin/false\n');
      assert.deepEqual((await client.checkDrift()).config, 'applied');
      await client.flushStatus();
      assert.deepEqual(panel.statesOf('config'), ['failed', 'applied']);
      assert.equal((await stat(configFile())).uid, 4500);
    });

    it('keeps the pinned keys when the panel offers others, says so loudly, and refuses what only they signed', async () => {
      const { client } = await withV1();
      const rotated = new PolicyKeys();
      panel.trust = rotated.trustDocument();
      panel.publish(await rotated.envelope(payloadOf('config', { files: [] }, configId, 2)));
      await assertRefused(client, 'POLICY_SIGNER_UNKNOWN');
      const loud = log.lines().find((line) => line.level === 50 && String(line.msg).includes('NOT adopted'));
      assert.ok(loud, 'the changed key set is logged at error level');
      assert.deepEqual(
        JSON.parse(await readFile(join(stateDir, 'trust.json'), 'utf8')).keys,
        keys.trustDocument().keys,
      );
    });

    it('honours requireAlgorithms of the pinned trust: an ECDSA-only envelope is POLICY_UNSIGNED', async () => {
      panel.trust = keys.trustDocument(['ecdsa-p256-sha256', 'ml-dsa-65']);
      const { client } = await withV1();
      panel.publish(keys.signRaw((await configEnvelope(2, 'v2\n')).payload));
      await assertRefused(client, 'POLICY_UNSIGNED', /ml-dsa-65/);
    });
  });

  describe('removal, restarts and drift', () => {
    it('removes a kind absent from desired-state, acknowledging `removed`, leaving config files in place', async () => {
      const { client } = await withV1();
      panel.publish(await keys.envelope(payloadOf('monitoring', MONITORING, newPolicyId(), 1)));
      await syncNow(client);
      panel.policies = {};
      assert.deepEqual(await syncNow(client), { config: 'removed', monitoring: 'removed' });
      assert.deepEqual(lastStatus('config'), { policyId: configId, version: 1, state: 'removed' });
      assert.equal(client.document('monitoring'), undefined);
      assert.equal(await readFile(configFile(), 'utf8'), 'v1\n');
      assert.deepEqual((await appliedState()).applied, {});
    });

    it('keeps refusing an older version after a restart and after the kind was removed', async () => {
      const { client, v1 } = await withV1();
      panel.publish(await configEnvelope(2, 'v2\n'));
      await syncNow(client);
      panel.policies = {};
      await syncNow(client);
      client.close();
      const restarted = await open();
      panel.publish(v1);
      assert.deepEqual(await syncNow(restarted), { config: 'failed' });
      assert.match(lastStatus('config')?.message ?? '', /^POLICY_VERSION_REPLAYED/);
    });

    it('restores the stored policies at a restart without asking the panel (documents, device rules)', async () => {
      const client = await open();
      const monitoring = await keys.envelope(payloadOf('monitoring', MONITORING, newPolicyId(), 2));
      panel.publish(monitoring);
      panel.publish(await keys.envelope(payloadOf('siem', SIEM, newPolicyId(), 1)));
      await syncNow(client);
      client.close();
      const requests = panel.requests.length;
      const restarted = await open();
      assert.deepEqual(restarted.document('monitoring'), monitoring.payload.document);
      assert.deepEqual(restarted.screen('fim.modified', 1, {})?.records, []);
      assert.equal(panel.requests.length, requests, 'nothing fetched');
      assert.deepEqual(await syncNow(restarted), { monitoring: 'unchanged', siem: 'unchanged' });
    });

    it('detects an edited config file on the heartbeat: `drifted` and a config.drift event, then `repaired`', async () => {
      const { client } = await withV1();
      const applied = lastStatus('config');
      await writeFile(configFile(), 'edited by hand\n');
      assert.deepEqual(await client.checkDrift(), { config: 'repaired' });
      await client.flushStatus();
      assert.deepEqual(panel.statesOf('config'), ['applied', 'drifted', 'repaired']);
      const [, drifted, repaired] = panel.statuses.map((s) => s.body);
      assert.notEqual(drifted?.liveStateHash, applied?.liveStateHash);
      assert.match(drifted?.message ?? '', /1 managed file\(s\) changed on the device: .*app\.conf/);
      assert.equal(repaired?.liveStateHash, applied?.liveStateHash);
      assert.equal(await readFile(configFile(), 'utf8'), 'v1\n');
      assert.deepEqual(
        events.map((e) => [
          e.kind,
          (e.body as { policyId?: string }).policyId,
          (e.body as { paths?: string[] }).paths,
        ]),
        [['config.drift', configId, [configFile()]]],
      );
      assert.deepEqual(await client.checkDrift(), { config: 'unchanged' }, 'no drift any more');
    });
  });

  describe('acknowledgements', () => {
    it('retries status reports with backoff until the panel takes them, in order', async () => {
      panel.failStatuses = 3;
      const client = await open();
      panel.publish(await configEnvelope(1, 'v1\n'));
      await client.sync(structuredClone(panel.policies));
      await until(() => panel.statuses.length === 1, 'the acknowledgement after three 503s');
      assert.equal(lastStatus('config')?.state, 'applied');
      assert.deepEqual(client.pendingStatus, []);
    });

    it('keeps unsent reports across a restart', async () => {
      const client = await PolicyClient.open({
        deviceId: panel.deviceId,
        settings: settings(),
        panelUrls: [panel.endpoint.url],
        logger: log.logger,
        report: async () => undefined,
        accounts: { passwd, group: join(work, 'group') },
      });
      clients.push(client);
      const unreachable: PolicyPanel = {
        send: async () => Promise.reject(new Error('down')),
        reach: async () => Promise.reject(new Error('down')),
      };
      client.attach(unreachable);
      const v1 = await configEnvelope(1, 'v1\n');
      // Applied through a working link, acknowledged while the panel is down.
      const { panel: link, client: http } = panel.link();
      links.push(http);
      client.attach(link);
      panel.publish(v1);
      panel.failStatuses = 1_000;
      await client.sync(structuredClone(panel.policies));
      client.attach(unreachable);
      client.close();
      panel.failStatuses = 0;
      await open();
      await until(() => panel.statuses.length === 1, 'the report of the previous process');
      assert.equal(lastStatus('config')?.state, 'applied');
    });
  });

  it('refuses every policy with POLICY_STATE_CORRUPT when applied.json is not its own', async () => {
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, 'applied.json'), '{"format":1,"applied":');
    const client = await open();
    panel.publish(await configEnvelope(1, 'v1\n'));
    assert.deepEqual(await syncNow(client), { config: 'failed' });
    assert.match(lastStatus('config')?.message ?? '', /^POLICY_STATE_CORRUPT: /);
    await assert.rejects(stat(configFile()), { code: 'ENOENT' });
  });
});
