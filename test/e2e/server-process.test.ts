import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openTestDatabase, type TestDatabase } from '@palisade/testkit';

const CLI = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'src', 'main.ts');
const PASSPHRASE = 'e2e-passphrase-abcdefgh';

interface ServerProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

// Every server this file starts, so none outlives a failed or timed-out test.
const started: ServerProcess[] = [];

function startServer(dataDir: string, env: Record<string, string>): ServerProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'server',
      '--data-dir',
      dataDir,
      '--operator-port',
      '0',
      '--device-port',
      '0',
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
    ],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const server: ServerProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  started.push(server);
  child.stdout?.on('data', (chunk: Buffer) => {
    server.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    server.stderr += chunk.toString();
  });
  return server;
}

/** The exit code, or a failure naming what the server printed if it has not exited within 30 s. */
async function exitOf(server: ServerProcess): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`server did not exit: ${server.stderr.slice(-1500)} ${server.stdout.slice(-1500)}`)),
      30_000,
    );
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function ready(server: ServerProcess): Promise<{ operatorUrl: string; rootCaFingerprint: string }> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const line = server.stdout.split('\n').find((l) => l.includes('"panel ready"'));
    if (line) return JSON.parse(line);
    if (server.child.exitCode !== null)
      throw new Error(`server exited ${server.child.exitCode}: ${server.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not ready: ${server.stderr}`);
}

function https(
  url: string,
  ca: string,
  options: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      { method: options.method ?? 'GET', ca, headers: payload ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('palisade server as a process', () => {
  let dataDir: string;
  let database: TestDatabase | undefined;
  const env: Record<string, string> = { PALISADE_KEY_PASSPHRASE: PASSPHRASE };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'palisade-e2e-'));
    if (process.env.DATABASE_URL) {
      database = await openTestDatabase();
      env.DATABASE_URL = database.url as string;
    }
  });
  after(async () => {
    for (const server of started) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        process.stderr.write(`killing a server left running; its stderr:\n${server.stderr.slice(-2000)}\n`);
        server.child.kill('SIGKILL');
      }
    }
    await database?.[Symbol.asyncDispose]();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('first start, exclusive data directory, graceful SIGTERM, warm restart without a new password, wrong passphrase refused', {
    timeout: 120_000,
  }, async () => {
    const first = startServer(dataDir, env);
    const facts = await ready(first);
    const rootCa = await readFile(join(dataDir, 'ca', 'root-ca.pem'), 'utf8');
    assert.match(first.stderr, new RegExp(`root CA SHA-256:\\s+${facts.rootCaFingerprint}`));
    const otp = /One-time password:\s+(\S+)/.exec(first.stderr)?.[1];
    assert.ok(otp, 'first start must print a one-time password');
    assert.equal(first.stdout.includes(otp), false, 'the one-time password reached the structured log');
    assert.equal((await https(`${facts.operatorUrl}/readyz`, rootCa)).status, 200);

    const second = startServer(dataDir, env);
    assert.equal(await exitOf(second), 2);
    assert.match(second.stderr, /is in use by process \d+ .*\[DATA_DIR_LOCKED\]/);

    first.child.kill('SIGTERM');
    assert.equal(await exitOf(first), 0);
    assert.match(first.stdout, /"msg":"panel stopped"/);
    assert.equal(existsSync(join(dataDir, 'panel.lock')), false, 'lock not released');

    const restarted = startServer(dataDir, env);
    const again = await ready(restarted);
    assert.equal(again.rootCaFingerprint, facts.rootCaFingerprint, 'the CA changed across a restart');
    assert.doesNotMatch(restarted.stderr, /One-time password/);
    const login = await https(`${again.operatorUrl}/v1/auth/login`, rootCa, {
      method: 'POST',
      body: { username: 'admin', password: otp, mode: 'token' },
    });
    assert.equal(login.status, 200);
    assert.equal(JSON.parse(login.body).mustChangePassword, true);
    restarted.child.kill('SIGTERM');
    assert.equal(await exitOf(restarted), 0);

    const wrongKey = startServer(dataDir, { ...env, PALISADE_KEY_PASSPHRASE: 'a-different-passphrase-123' });
    assert.equal(await exitOf(wrongKey), 2);
    assert.match(wrongKey.stderr, /cannot decrypt the (root|issuing) CA key.*\[CA_KEY_UNREADABLE\]/);
    assert.equal(existsSync(join(dataDir, 'panel.lock')), false, 'a failed start must release the lock');
  });
});
