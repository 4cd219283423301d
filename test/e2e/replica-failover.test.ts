import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, parseAgentConfig } from '@palisade/agent';
import {
  LogCapture,
  openReplicaTestDatabase,
  skipUnlessReplicaPostgres,
  TEST_ADMIN_PASSWORD,
  type TestDatabase,
} from '@palisade/testkit';
import pino from 'pino';
import { CLI, until } from './agent-harness.ts';

interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly devicePort: number;
  readonly operatorPort: number;
  output: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startReplica(name: string, databaseUrl: string, dir: string): Promise<Replica> {
  const dataDir = join(dir, name);
  const [devicePort, operatorPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      CLI,
      'server',
      '--data-dir',
      dataDir,
      '--device-port',
      String(devicePort),
      '--operator-port',
      String(operatorPort),
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--heartbeat',
      '5',
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: databaseUrl,
        PALISADE_KEY_PASSPHRASE: 'replica-test-passphrase-0123',
        PALISADE_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const replica: Replica = { name, child, dataDir, devicePort, operatorPort, output: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    replica.output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    replica.output += chunk.toString();
  });
  await until(
    'replica ready',
    async () => replica.output.includes('"panel ready"'),
    60_000,
    () => replica.output.slice(-2000),
  );
  return replica;
}

function https(
  url: string,
  ca: string,
  options: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('a panel replica killed with SIGKILL (two replicas on one PostgreSQL)', {
  skip: skipUnlessReplicaPostgres(),
}, () => {
  let database: TestDatabase;
  let dir: string;
  let a: Replica;
  let b: Replica;
  let agent: Agent | undefined;
  const agentLogs = new LogCapture();

  before(async () => {
    database = await openReplicaTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'palisade-replicas-'));
    a = await startReplica('a', database.url as string, dir);
    b = await startReplica('b', database.url as string, dir);
  });

  after(async () => {
    await agent?.stop();
    for (const replica of [a, b]) {
      if (replica && replica.child.exitCode === null && replica.child.signalCode === null)
        replica.child.kill('SIGTERM');
    }
    await Promise.all(
      [a, b]
        .filter(Boolean)
        .map(
          (replica) =>
            new Promise((resolve) =>
              replica.child.exitCode !== null || replica.child.signalCode !== null
                ? resolve(undefined)
                : replica.child.once('exit', resolve),
            ),
        ),
    );
    await database?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('its agents move to the other replica, and every acknowledged record is stored once', {
    timeout: 120_000,
  }, async () => {
    const ca = await readFile(join(a.dataDir, 'ca', 'root-ca.pem'), 'utf8');
    assert.equal(
      ca,
      await readFile(join(b.dataDir, 'ca', 'root-ca.pem'), 'utf8'),
      'both replicas share the CA',
    );
    const operator = `https://localhost:${a.operatorPort}`;
    const login = await https(`${operator}/v1/auth/login`, ca, {
      method: 'POST',
      body: { username: 'admin', password: TEST_ADMIN_PASSWORD, mode: 'token' },
    });
    const token = String(login.json().token);
    assert.equal(
      (await https(`${operator}/v1/devices`, ca, { method: 'POST', token, body: { id: 'gw-ha' } })).status,
      201,
    );
    const enrollment = await https(`${operator}/v1/devices/gw-ha/enrollment-token`, ca, {
      method: 'POST',
      token,
      body: {},
    });
    await writeFile(join(dir, 'token'), String(enrollment.json().token));
    await writeFile(join(dir, 'ca.pem'), ca);
    agent = Agent.start({
      config: parseAgentConfig({
        deviceId: 'gw-ha',
        stateDir: join(dir, 'agent'),
        panel: {
          urls: [`https://127.0.0.1:${a.devicePort}`, `https://127.0.0.1:${b.devicePort}`],
          caFile: join(dir, 'ca.pem'),
          serverName: 'localhost',
        },
        enrollment: { tokenFile: join(dir, 'token') },
        logLevel: 'debug',
      }),
      logger: pino({ level: 'debug' }, agentLogs),
      version: '0.1.0-test',
      backoff: { baseMs: 100, capMs: 1_000 },
    });
    const running = agent;
    const appended: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let n = 0; producing; n += 1) {
        appended.push(await running.report('test.event', 3, { n }));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await until(
      'delivery through replica a',
      async () =>
        agentLogs.text.includes(`"panel":"https://127.0.0.1:${a.devicePort}","msg":"push channel open"`) &&
        appended.length > 200,
      30_000,
      () => agentLogs.text.slice(-3000),
    );
    a.child.kill('SIGKILL');
    await until(
      'the push channel on replica b',
      async () =>
        agentLogs.text.includes(`"panel":"https://127.0.0.1:${b.devicePort}","msg":"push channel open"`),
      30_000,
      () => agentLogs.text.slice(-3000),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    producing = false;
    await producer;
    await until(
      'the outbox drained into replica b',
      async () => running.outbox?.stats().pendingRecords === 0,
      30_000,
    );
    const rows = await database.db.query<{ record_id: string }>(
      "SELECT id AS record_id FROM security_events WHERE ingest_key = 'gw-ha' AND type = 'test.event'",
    );
    const stored = new Set(rows.rows.map((row) => row.record_id));
    assert.equal(rows.rows.length, stored.size, 'no record stored twice');
    const missing = appended.filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], 'every durable record reached the database');
    assert.equal(stored.size, appended.length);
  });
});
