/**
 * The firewall kind end to end: envelopes from a fake panel over mutual TLS,
 * real nft in a network namespace this test creates, the dead-man switch
 * confirmed (or not) by real TCP from inside the namespace, real sockets to
 * check the verdicts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { createNetnsLab, LAB, type NetnsLab, skipUnlessNetns } from '../firewall/netns-lab.ts';
import { NftablesFirewall } from '../firewall/nftables-firewall.ts';
import { renderFirewall } from '../firewall/render-nftables.ts';
import { ABSENT_TABLE_HASH } from '../firewall/ruleset-hash.ts';
import type { JsonValue } from '../outbox/index.ts';
import type { PolicyPanel } from './panel-link.ts';
import { PolicyClient } from './policy-client.ts';
import {
  capturingLogger,
  FakePolicyPanel,
  newPolicyId,
  PolicyKeys,
  payloadOf,
  until,
} from './policy-test-support.ts';

/** Where the "panel" listens in the lab (the peer namespace); the renderer always lets the device reach it. */
const PANEL_PORT = 8443;
const SSH = 22;
const OTHER_SERVICE = 8080;
/** Dead-man window (the settings' minimum is 5 s; the client takes any value from a test). */
const WINDOW_SECONDS = 2;

/** SSH in from the peer; nothing else in or out but the panel. */
const LOCKED_DOWN = {
  defaultIngress: 'drop',
  defaultEgress: 'drop',
  logDrops: false,
  rules: [
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [SSH],
      addresses: [`${LAB.peerV4}/32`],
    },
  ],
};
/** Also lets the device reach the peer's other service. */
const OPENER = {
  ...LOCKED_DOWN,
  rules: [
    ...LOCKED_DOWN.rules,
    { direction: 'egress', action: 'accept', protocol: 'tcp', ports: [OTHER_SERVICE], comment: 'historian' },
  ],
};

describe('PolicyClient: firewall policies on real nftables in a network namespace', {
  skip: skipUnlessNetns(),
}, () => {
  let lab: NetnsLab;
  let panel: FakePolicyPanel;
  let work: string;
  let stateDir: string;
  let events: Array<{ kind: string; body: JsonValue }>;
  let clients: PolicyClient[];
  let closers: Array<{ close(): void }>;
  /** Whether the device reaches the panel: real TCP from inside the device namespace, or a closed port. */
  let panelAnswers: boolean;
  /** Probes made: the first one comes right after the new table went live, with the dead-man switch armed. */
  let probes: number;
  const keys = new PolicyKeys();
  const policyId = newPolicyId();

  const nft = (...args: string[]) => lab.exec(lab.device, ['nft', ...args]);
  const liveHash = () => new NftablesFirewall({ stateDir: work, runner: lab.runner }).liveStateHash();
  const fromDevice = (port: number) => lab.probe(lab.device, LAB.peerV4, port, 800);
  const fromPeer = (port: number) => lab.probe(lab.peer, LAB.deviceV4, port, 800);

  const open = async () => {
    const client = await PolicyClient.open({
      deviceId: panel.deviceId,
      settings: {
        stateDir,
        firewall: { nftPath: 'nft', nftPrefix: [], confirmWithinSeconds: WINDOW_SECONDS },
        crypto: { agentTls: false },
        config: { allowedDirectories: [join(work, 'managed')] },
      },
      panelUrls: [new URL(`https://${LAB.peerV4}:${PANEL_PORT}`)],
      logger: capturingLogger().logger,
      report: async (kind, _severity, body) => void events.push({ kind, body }),
      nftRunner: lab.runner,
      // A rule commented "nft-refuses" renders into something nft rejects.
      render: (policy, endpoints) => {
        const script = renderFirewall(policy, endpoints);
        return policy.rules.some((r) => r.comment === 'nft-refuses')
          ? script.replace('policy drop;', 'policy drop; bogus;')
          : script;
      },
      probeIntervalMs: 200,
      backoff: { baseMs: 20, capMs: 50 },
    });
    clients.push(client);
    const link = panel.link();
    closers.push(link.client);
    const inLab: PolicyPanel = {
      send: (request) => link.panel.send(request),
      async reach() {
        probes += 1;
        const seen = panelAnswers ? await fromDevice(PANEL_PORT) : 'no panel';
        if (seen !== 'connected') throw new AgentError('PANEL_UNREACHABLE', `probe: ${seen}`);
      },
    };
    client.attach(inLab);
    return client;
  };
  const publish = async (version: number, document: unknown) =>
    panel.publish(await keys.envelope(payloadOf('firewall', document, policyId, version)));
  const sync = async (client: PolicyClient) => {
    const results = await client.sync(structuredClone(panel.policies));
    await client.flushStatus();
    return results;
  };
  const statuses = () => panel.statuses.filter((s) => s.kind === 'firewall').map((s) => s.body);
  const appliedVersion = async () =>
    (
      JSON.parse(await readFile(join(stateDir, 'applied.json'), 'utf8')) as {
        applied: { firewall?: { version: number } };
      }
    ).applied.firewall?.version;

  before(async () => {
    lab = await createNetnsLab();
    panel = await FakePolicyPanel.start();
    work = await mkdtemp(join(tmpdir(), 'palisade-policy-firewall-'));
    await lab.listen(lab.peer, '::', PANEL_PORT);
    await lab.listen(lab.peer, '::', OTHER_SERVICE);
    await lab.listen(lab.device, '::', SSH);
  });
  after(async () => {
    await lab?.dispose();
    await panel?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await nft('flush', 'ruleset');
    stateDir = await mkdtemp(join(work, 'state-'));
    panel.policies = {};
    panel.envelopes.clear();
    panel.statuses.length = 0;
    panel.trust = keys.trustDocument();
    events = [];
    clients = [];
    closers = [];
    panelAnswers = true;
    probes = 0;
  });
  afterEach(() => {
    for (const client of clients) client.close();
    for (const closer of closers) closer.close();
  });

  /** v1 (locked down) applied and confirmed: the starting point of most tests. */
  const withV1 = async () => {
    const client = await open();
    await publish(1, LOCKED_DOWN);
    assert.deepEqual(await sync(client), { firewall: 'applied' });
    return { client, v1Hash: await liveHash() };
  };

  it('applies a policy, confirms it once the device reached its panel over the new rules, and acknowledges the live hash', async () => {
    assert.equal(await fromDevice(OTHER_SERVICE), 'connected', 'baseline: no firewall');
    const { v1Hash } = await withV1();
    assert.notEqual(v1Hash, ABSENT_TABLE_HASH);
    assert.deepEqual(statuses(), [{ policyId, version: 1, state: 'applied', liveStateHash: v1Hash }]);
    assert.equal(await fromDevice(PANEL_PORT), 'connected', 'the panel channel is always allowed');
    assert.equal(await fromDevice(OTHER_SERVICE), 'timeout', 'egress drop');
    assert.equal(await fromPeer(SSH), 'connected', 'the policy’s ssh rule');
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 300));
    assert.equal(await liveHash(), v1Hash, 'confirmed: the dead-man switch did not fire');
  });

  it('rolls a policy back when the panel is not reached within the window, and acknowledges `rolled_back`', async () => {
    const { client, v1Hash } = await withV1();
    panelAnswers = false;
    await publish(2, OPENER);
    const started = Date.now();
    assert.deepEqual(await sync(client), { firewall: 'rolled_back' });
    assert.ok(Date.now() - started >= WINDOW_SECONDS * 1000 - 50, 'waited out the window');
    assert.equal(await liveHash(), v1Hash, 'the previous table is back');
    assert.equal(await fromDevice(OTHER_SERVICE), 'timeout');
    const last = statuses().at(-1);
    assert.equal(last?.state, 'rolled_back');
    assert.equal(last?.version, 2);
    assert.equal(last?.liveStateHash, v1Hash);
    assert.match(last?.message ?? '', /^POLICY_NOT_CONFIRMED: /);
    assert.equal(await appliedVersion(), 1);
    panelAnswers = true;
    assert.deepEqual(
      await sync(client),
      { firewall: 'skipped' },
      'not retried until desired-state names another policy',
    );
  });

  it('rolls back at the next start a policy whose process died before confirming it', async () => {
    const { client, v1Hash } = await withV1();
    panelAnswers = false;
    await publish(2, OPENER);
    probes = 0;
    const pending = client.sync(structuredClone(panel.policies));
    await until(() => probes > 0, 'v2 live and awaiting confirmation');
    assert.notEqual(await liveHash(), v1Hash, 'v2 went live');
    client.close(); // the process stops before the deadline
    await pending;
    assert.notEqual(await liveHash(), v1Hash, 'nothing rolled back yet: the record waits for the next start');
    panelAnswers = true;
    await open();
    assert.equal(await liveHash(), v1Hash, 'recover() put v1 back at start');
    await until(() => statuses().at(-1)?.state === 'rolled_back', 'the rolled_back report');
    assert.deepEqual(
      statuses().map((s) => [s.version, s.state]),
      [
        [1, 'applied'],
        [2, 'rolled_back'],
      ],
    );
  });

  it('detects `nft flush ruleset` as drift, reports it, raises firewall.drift, and repairs the table', async () => {
    const { client, v1Hash } = await withV1();
    await nft('flush', 'ruleset');
    assert.equal(await fromDevice(OTHER_SERVICE), 'connected', 'the flush opened the device');
    assert.deepEqual(await client.checkDrift(), { firewall: 'repaired' });
    await client.flushStatus();
    assert.deepEqual(
      statuses().map((s) => [s.state, s.liveStateHash]),
      [
        ['applied', v1Hash],
        ['drifted', ABSENT_TABLE_HASH],
        ['repaired', v1Hash],
      ],
    );
    assert.deepEqual(events, [
      {
        kind: 'firewall.drift',
        body: {
          message: 'The live firewall ruleset differs from the applied policy',
          expectedHash: v1Hash,
          actualHash: ABSENT_TABLE_HASH,
          policyId,
          version: 1,
        },
      },
    ]);
    assert.equal(await liveHash(), v1Hash);
    assert.equal(await fromDevice(OTHER_SERVICE), 'timeout', 'the policy is back in force');
    assert.deepEqual(await client.checkDrift(), { firewall: 'unchanged' });
  });

  it('reports a ruleset nft refuses as `failed` with nft’s complaint, leaving the previous table in force', async () => {
    const { client, v1Hash } = await withV1();
    await publish(2, { ...OPENER, rules: [{ ...OPENER.rules[1], comment: 'nft-refuses' }] });
    assert.deepEqual(await sync(client), { firewall: 'failed' });
    const last = statuses().at(-1);
    assert.equal(last?.state, 'failed');
    assert.match(last?.message ?? '', /^FIREWALL_RULESET_REFUSED: nft -c refused the ruleset/);
    assert.equal(await liveHash(), v1Hash);
    assert.equal(await appliedVersion(), 1);
  });

  it('removes Palisade’s table when desired-state no longer names a firewall policy', async () => {
    const { client } = await withV1();
    await nft('add', 'table', 'ip', 'foreign');
    panel.policies = {};
    assert.deepEqual(await sync(client), { firewall: 'removed' });
    assert.equal(await liveHash(), ABSENT_TABLE_HASH);
    assert.match(await nft('list', 'tables'), /table ip foreign/, 'other tables untouched');
    assert.equal(statuses().at(-1)?.state, 'removed');
    assert.equal(await fromDevice(OTHER_SERVICE), 'connected');
  });
});
