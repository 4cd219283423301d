import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Agent, loadAgentConfig } from '@palisade/agent';
import { LogCapture, skipUnlessCommand, startTestPanel, type TestPanel } from '@palisade/testkit';
import pino from 'pino';
import { operatorApi, provisionAgent, until } from './agent-harness.ts';

const run = promisify(execFile);

describe('agent: bad input is refused, data kept, and it recovers', {
  skip: skipUnlessCommand('openssl'),
}, () => {
  let t: TestPanel;
  let api: ReturnType<typeof operatorApi>;
  let dir: string;
  let configPath: string;
  const deviceId = 'gw-bad';
  const stateDir = () => join(dir, 'state');

  const startAgent = async (logs: LogCapture, path = configPath) =>
    Agent.start({
      config: await loadAgentConfig(path),
      logger: pino({ level: 'debug' }, logs),
      version: '0.1.0-test',
      backoff: { baseMs: 50, capMs: 300 },
    });
  const presence = () => api('GET', `/v1/devices/${deviceId}/presence`);
  const certificateCount = async () => (await api('GET', `/v1/devices/${deviceId}`)).certificates.length;

  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
    api = operatorApi(t, await t.adminToken());
    dir = await mkdtemp(join(tmpdir(), 'palisade-agent-bad-'));
    configPath = await provisionAgent(t, api, dir, deviceId, { kind: 'software' });
    const logs = new LogCapture();
    const agent = await startAgent(logs);
    await until(
      'enrolled',
      async () => (await presence()).online,
      30_000,
      () => logs.text,
    );
    await agent.stop();
  });

  after(async () => {
    await t?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, file, garbage] of [
    [
      'a corrupt identity.json',
      'identity.json',
      '{"current": {"label": "identity-a", "certificatePem": "-----BEGIN',
    ],
    ['a garbage key file', join('keys', 'identity-a.pem'), 'this is not a key\n'],
  ] as const) {
    it(`refuses ${name}, leaves it untouched, and carries on once it is restored`, async () => {
      const path = join(stateDir(), file);
      const good = await readFile(path, 'utf8');
      await writeFile(path, garbage);
      const logs = new LogCapture();
      const agent = await startAgent(logs);
      try {
        await until(
          'refusal',
          async () => logs.text.includes('refusing to use corrupt identity state'),
          10_000,
        );
        const refusal = logs
          .records()
          .find(
            (r) => r.msg === 'refusing to use corrupt identity state; it is kept as it is, fix or restore it',
          );
        assert.ok(refusal);
        assert.match(String(refusal.code), /^(AGENT_STATE_CORRUPT|ROT_KEY_CORRUPT)$/);
        assert.equal(await readFile(path, 'utf8'), garbage, 'the file is kept as found');
        assert.equal(await certificateCount(), 1, "no new enrollment behind the operator's back");
        await writeFile(path, good, { mode: 0o600 });
        const seen = (await presence()).lastSeenAt;
        await until(
          'check-in after the repair',
          async () => (await presence()).lastSeenAt !== seen,
          15_000,
          () => logs.text,
        );
        assert.equal(await certificateCount(), 1);
      } finally {
        await agent.stop();
      }
    });
  }

  it('cuts a torn tail off the outbox journal, keeps the records before it, and delivers', async () => {
    const logs = new LogCapture();
    let agent = await startAgent(logs);
    await until('online', async () => (await presence()).online);
    await agent.stop();
    const journal = join(stateDir(), 'outbox', 'journal');
    const segments = (await readdir(journal)).filter((f) => f.endsWith('.log')).sort();
    const last = segments.at(-1);
    assert.ok(last, 'the journal has a segment');
    // A torn write: a frame header promising more bytes than follow.
    await writeFile(join(journal, last), Buffer.from([0xb0, 0x1a, 0, 0, 1, 0, 1, 2, 3, 4, 5]), { flag: 'a' });
    const after = new LogCapture();
    agent = await startAgent(after);
    try {
      const id = await agent.report('test.after-tear', 3, { ok: true });
      await until(
        'delivery after recovery',
        async () =>
          (
            (await api('GET', `/v1/devices/${deviceId}/reports?limit=1000`)).reports as Array<{ id: string }>
          ).some((r) => r.id === id),
        15_000,
        () => after.text,
      );
      assert.match(after.text, /torn|cut|quarantin/i);
    } finally {
      await agent.stop();
    }
  });

  it('refuses a panel whose certificate does not chain to the pinned CA, and fails over to the next URL', async () => {
    // An impostor on the first URL: a valid TLS server with a certificate from another CA.
    const key = join(dir, 'impostor.key');
    const cert = join(dir, 'impostor.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-days',
      '1',
    ]);
    let impostorRequests = 0;
    const impostor = createServer(
      { key: await readFile(key), cert: await readFile(cert) },
      (_request, response) => {
        impostorRequests += 1;
        response.end('{}');
      },
    );
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.panel.urls = [
      `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`,
      ...config.panel.urls,
    ];
    const failoverConfig = join(dir, 'failover.yaml');
    await writeFile(failoverConfig, JSON.stringify(config));
    const logs = new LogCapture();
    const agent = await startAgent(logs, failoverConfig);
    try {
      const seen = (await presence()).lastSeenAt;
      await until(
        'check-in through the real panel',
        async () => (await presence()).lastSeenAt !== seen,
        15_000,
        () => logs.text,
      );
      assert.equal(impostorRequests, 0, 'nothing was ever sent to the impostor');
      assert.match(logs.text, /PANEL_UNREACHABLE/);
      assert.match(logs.text, /self[- ]signed|unable to verify|certificate/i);
    } finally {
      await agent.stop();
      impostor.close();
    }
  });
});
