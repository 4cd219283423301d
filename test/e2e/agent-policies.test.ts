/**
 * Policies end to end (issue 7's "done when"): an operator publishes a
 * firewall and a crypto policy to a group; a real agent process verifies,
 * applies and acknowledges them; someone flushes the device's nftables by
 * hand; the agent detects the drift, reports it as an event and repairs it.
 * The firewall is applied inside a network namespace the test creates, so
 * the host's own ruleset is never touched.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { hasCommand, STRICT, startTestPanel, type TestPanel } from '@palisade/testkit';
import { type AgentProcess, operatorApi, provisionAgent, startAgentProcess, until } from './agent-harness.ts';

const run = promisify(execFile);

function skipReason(): string | false {
  if (STRICT) return false;
  if (process.getuid?.() !== 0) return 'not root: network namespaces and nft need CAP_NET_ADMIN';
  if (!hasCommand('nft')) return 'nft is not installed (apt-get install nftables)';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0)
    return 'ip netns does not work here (apt-get install iproute2)';
  return false;
}

const FIREWALL = {
  defaultIngress: 'drop',
  defaultEgress: 'accept',
  logDrops: false,
  rules: [
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: 22, to: 22 }],
      comment: 'ssh',
    },
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: 502, to: 502 }],
      addresses: ['10.20.0.0/16'],
      comment: 'modbus',
    },
  ],
};

const CRYPTO = {
  tls: {
    minVersion: 'TLSv1.2',
    cipherSuites: ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
    groups: ['X25519MLKEM768', 'X25519', 'P-256'],
    signatureAlgorithms: ['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256', 'ed25519'],
    requirePostQuantumGroup: false,
  },
  keys: { minRsaBits: 2048, minEcBits: 256, allowedCurves: ['P-256', 'P-384'] },
  hashes: { allowed: ['SHA-256', 'SHA-384'] },
  fipsProviderRequired: false,
  updates: { requireHybridSignatures: false },
};

describe('policies on a real agent', { skip: skipReason() }, () => {
  let t: TestPanel;
  let api: ReturnType<typeof operatorApi>;
  let dir: string;
  let agent: AgentProcess | undefined;
  const namespace = `palisade-pol-${randomBytes(3).toString('hex')}`;
  const inNamespace = (...command: string[]) => run('ip', ['netns', 'exec', namespace, ...command]);

  before(async () => {
    t = await startTestPanel({ hosts: ['127.0.0.1'], heartbeatSeconds: 5 });
    api = operatorApi(t, await t.adminToken());
    dir = await mkdtemp(join(tmpdir(), 'palisade-e2e-policies-'));
    await run('ip', ['netns', 'add', namespace]);
    await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  });
  after(async () => {
    await agent?.stop();
    await run('ip', ['netns', 'del', namespace]).catch(() => undefined);
    await t?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies and acknowledges a group firewall and crypto policy, then detects and repairs a flushed ruleset', async () => {
    await api('PUT', '/v1/groups/cell-7', { targetLevel: 'SLE' });
    const configPath = await provisionAgent(
      t,
      api,
      dir,
      'pol-agent-1',
      { kind: 'software' },
      { group: 'cell-7' },
    );
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.policies = {
      firewall: { nftPrefix: ['ip', 'netns', 'exec', namespace], confirmWithinSeconds: 20 },
      crypto: { agentTls: true },
    };
    await writeFile(configPath, JSON.stringify(config));
    agent = startAgentProcess(configPath);
    const logs = () => agent?.output().slice(-4000) ?? '';
    await until(
      'the agent is online',
      async () => (await api('GET', '/v1/devices/pol-agent-1/presence')).online,
      30_000,
      logs,
    );

    const firewall = await api('POST', '/v1/policies', {
      kind: 'firewall',
      name: 'cell-firewall',
      document: FIREWALL,
    });
    const crypto = await api('POST', '/v1/policies', {
      kind: 'crypto',
      name: 'cell-crypto',
      document: CRYPTO,
    });
    for (const [kind, policy] of [
      ['firewall', firewall],
      ['crypto', crypto],
    ] as const)
      await api('PUT', '/v1/policy-assignments', {
        kind,
        scope: { type: 'group', group: 'cell-7' },
        policyId: policy.policyId,
      });

    const reported = async (kind: string, state: string) => {
      const view = await api('GET', '/v1/devices/pol-agent-1/effective-policy');
      return view.reported.find((r: { kind: string; state: string }) => r.kind === kind && r.state === state);
    };
    await until(
      'both policies acknowledged',
      async () => (await reported('firewall', 'applied')) && (await reported('crypto', 'applied')),
      60_000,
      logs,
    );
    const table = (await inNamespace('nft', 'list', 'table', 'inet', 'palisade')).stdout;
    assert.match(table, /tcp dport 22 accept/);
    assert.match(table, /policy drop/);

    // Someone "fixes" the device by hand.
    await inNamespace('nft', 'flush', 'ruleset');
    await until(
      'the drift is reported and repaired',
      async () => reported('firewall', 'repaired'),
      60_000,
      logs,
    );
    const repaired = (await inNamespace('nft', 'list', 'table', 'inet', 'palisade')).stdout;
    assert.match(repaired, /tcp dport 22 accept/, 'the ruleset is back');
    const drift = await until(
      'a firewall.drift event reaches the panel',
      async () => (await api('GET', '/v1/events?deviceId=pol-agent-1&type=firewall.drift')).events[0],
      30_000,
    );
    assert.equal(drift.source, 'device');
  });
});
