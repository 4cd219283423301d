import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import WebSocket from 'ws';
import { EstBench, tool } from '../est/est-test-support.ts';

interface Credentials {
  readonly cert: string;
  readonly key: string;
  readonly serial: string;
}

function report(overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID().replaceAll('-', ''),
    kind: 'event',
    severity: 3,
    createdAt: new Date().toISOString(),
    body: { message: 'door opened' },
    ...overrides,
  };
}

describe('device API (mutual TLS)', { skip: skipUnlessCommand('curl') }, () => {
  let bench: EstBench;
  let a: Credentials;
  let b: Credentials;

  before(async () => {
    bench = await EstBench.start({ heartbeatSeconds: 30 });
    a = await bench.enrolled('dev-a');
    b = await bench.enrolled('dev-b');
  });
  after(() => bench.close());

  /** curl with the device's own certificate: an independent TLS client. */
  async function call(who: Credentials, method: string, path: string, body?: unknown) {
    const args = ['-sS', '-X', method, '-w', '\n%{http_code}', '--cacert', bench.rootCa];
    args.push('--cert', who.cert, '--key', who.key);
    if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', '@-');
    args.push(`https://localhost:${bench.devicePort}${path}`);
    const result = await tool('curl', args, body === undefined ? undefined : JSON.stringify(body));
    const cut = result.stdout.lastIndexOf('\n');
    const text = result.stdout.slice(0, cut);
    return { status: Number(result.stdout.slice(cut + 1)), body: text ? JSON.parse(text) : undefined };
  }

  async function storedReports(deviceId: string): Promise<number> {
    const result = await bench.t.panel.services.db.query<{ n: number }>(
      `SELECT (SELECT count(*)::int FROM device_reports WHERE device_id = $1)
            + (SELECT count(*)::int FROM security_events WHERE ingest_key = $1) AS n`,
      [deviceId],
    );
    return result.rows[0]?.n ?? -1;
  }

  describe('check-in', () => {
    it('records last-seen and the root of trust, answers the heartbeat interval, shows the device online', async () => {
      const answer = await call(a, 'POST', '/v1/devices/dev-a/check-in', {
        agentVersion: '0.1.0',
        rootOfTrust: { kind: 'software', hardwareBacked: false },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.heartbeatSeconds, 30);
      const presence = await bench.api('GET', '/v1/devices/dev-a/presence', undefined, 200);
      const view = presence.json();
      assert.equal(view.online, true);
      assert.equal(view.rootOfTrust, 'software');
      assert.equal(view.hardwareBacked, false);
      const never = (await bench.api('GET', '/v1/devices/dev-b/presence', undefined, 200)).json();
      assert.equal(never.online, false);
      assert.equal(never.lastSeenAt, null);
    });
  });

  describe('ownership', () => {
    it('refuses device A reading or writing device B with 403 DEVICE_FORBIDDEN and audits it', async () => {
      const since = await bench.auditHead();
      for (const [method, path, body] of [
        ['GET', '/v1/devices/dev-b', undefined],
        ['GET', '/v1/devices/dev-b/desired-state', undefined],
        [
          'POST',
          '/v1/devices/dev-b/check-in',
          { agentVersion: '1', rootOfTrust: { kind: 'tpm', hardwareBacked: true } },
        ],
        ['POST', '/v1/devices/dev-b/reports', { records: [report()] }],
      ] as const) {
        const answer = await call(a, method, path, body);
        assert.equal(answer.status, 403, `${method} ${path}`);
        assert.equal(answer.body.code, 'DEVICE_FORBIDDEN');
      }
      assert.equal(await storedReports('dev-b'), 0);
      const denied = await bench.t.panel.services.db.query<{ actor: string; target: string }>(
        "SELECT actor, target FROM audit_log WHERE seq > $1 AND action = 'device.access-denied'",
        [since],
      );
      assert.equal(denied.rows.length, 4);
      assert.deepEqual(denied.rows[0], { actor: 'device:dev-a', target: 'device:dev-b' });
      const presence = (await bench.api('GET', '/v1/devices/dev-b/presence', undefined, 200)).json();
      assert.equal(presence.lastSeenAt, null, 'a refused check-in leaves no trace on B');
    });

    it('refuses the device API without a client certificate (401)', async () => {
      const result = await tool('curl', [
        '-sS',
        '-w',
        '\n%{http_code}',
        '--cacert',
        bench.rootCa,
        `https://localhost:${bench.devicePort}/v1/devices/dev-a`,
      ]);
      assert.match(result.stdout, /\n401$/);
    });
  });

  describe('reports', () => {
    it('stores a batch once however often it is delivered, and acknowledges every record each time', async () => {
      const batch = [
        report(),
        report({ kind: 'inventory', severity: 1, body: { hostname: 'gw-a' } }),
        report(),
      ];
      const first = await call(a, 'POST', '/v1/devices/dev-a/reports', { records: batch });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { acknowledged: batch.map((r) => r.id), stored: 3 });
      const again = await call(a, 'POST', '/v1/devices/dev-a/reports', { records: [...batch, batch[0]] });
      assert.equal(again.status, 200);
      assert.equal(again.body.stored, 0);
      assert.equal(await storedReports('dev-a'), 3);
      const inventory = (await bench.api('GET', '/v1/devices/dev-a/inventory', undefined, 200)).json();
      assert.deepEqual(inventory.inventory, { hostname: 'gw-a' });
    });

    it('keeps the newest inventory when an older one arrives late', async () => {
      const newer = report({ kind: 'inventory', createdAt: '2030-01-02T00:00:00.000Z', body: { v: 2 } });
      const older = report({ kind: 'inventory', createdAt: '2030-01-01T00:00:00.000Z', body: { v: 1 } });
      assert.equal((await call(a, 'POST', '/v1/devices/dev-a/reports', { records: [newer] })).status, 200);
      assert.equal((await call(a, 'POST', '/v1/devices/dev-a/reports', { records: [older] })).status, 200);
      const inventory = (await bench.api('GET', '/v1/devices/dev-a/inventory', undefined, 200)).json();
      assert.deepEqual(inventory.inventory, { v: 2 });
    });

    it('rejects a batch with one malformed record as a whole (400) and stores none of it', async () => {
      const before = await storedReports('dev-a');
      for (const bad of [
        report({ severity: 11 }),
        report({ id: 'has space' }),
        report({ createdAt: 'yesterday' }),
        report({ kind: 'Event!' }),
        { ...report(), extra: 1 },
      ]) {
        const answer = await call(a, 'POST', '/v1/devices/dev-a/reports', { records: [report(), bad] });
        assert.equal(answer.status, 400, JSON.stringify(bad));
        assert.equal(answer.body.code, 'VALIDATION_FAILED');
      }
      const tooMany = Array.from({ length: 1001 }, () => report());
      assert.equal((await call(a, 'POST', '/v1/devices/dev-a/reports', { records: tooMany })).status, 400);
      assert.equal(await storedReports('dev-a'), before);
    });
  });

  describe('push channel', () => {
    async function open(who: Credentials, deviceId: string) {
      const socket = new WebSocket(`wss://localhost:${bench.devicePort}/v1/devices/${deviceId}/channel`, {
        ca: await readFile(bench.rootCa),
        cert: await readFile(who.cert),
        key: await readFile(who.key),
      });
      const messages: unknown[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(String(data))));
      return { socket, messages };
    }

    function until(check: () => boolean, what: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          if (check()) {
            clearInterval(timer);
            resolve();
          } else if (Date.now() - started > 5_000) {
            clearInterval(timer);
            reject(new Error(`timed out waiting for ${what}`));
          }
        }, 10);
      });
    }

    it('greets the device, and delivers an operator refresh as "desired state changed"', async () => {
      const { socket, messages } = await open(a, 'dev-a');
      await until(() => messages.length === 1, 'hello');
      assert.deepEqual(messages[0], { type: 'hello', deviceId: 'dev-a', heartbeatSeconds: 30 });
      const refresh = await bench.api('POST', '/v1/devices/dev-a/refresh', undefined, 200);
      assert.deepEqual(refresh.json(), { delivered: 1 });
      await until(() => messages.length === 2, 'push');
      assert.deepEqual(messages[1], { type: 'desired-state-changed', reason: 'operator-refresh' });
      const desired = await call(a, 'GET', '/v1/devices/dev-a/desired-state');
      assert.equal(desired.body.heartbeatSeconds, 30);
      assert.match(desired.body.version, /^[0-9a-f]{32}$/);
      const presence = (await bench.api('GET', '/v1/devices/dev-a/presence', undefined, 200)).json();
      assert.equal(presence.channelConnections, 1);
      socket.close();
      await until(() => socket.readyState === socket.CLOSED, 'close');
    });

    it("refuses to open device B's channel with device A's certificate (403)", async () => {
      const { socket } = await open(a, 'dev-b');
      const status = await new Promise<number>((resolve) => {
        socket.on('unexpected-response', (request, response) => {
          request.destroy();
          resolve(response.statusCode ?? 0);
        });
        socket.on('error', () => undefined);
      });
      assert.equal(status, 403);
    });

    it('closes a device that talks on the one-way channel (1008) and one that sends an oversized frame (1009)', async () => {
      for (const [payload, expected] of [
        ['hello?', 1008],
        ['x'.repeat(64 * 1024), 1009],
      ] as const) {
        const { socket } = await open(a, 'dev-a');
        await new Promise((resolve) => socket.once('open', resolve));
        const code = await new Promise<number>((resolve) => {
          socket.once('close', (closeCode) => resolve(closeCode));
          socket.send(payload);
        });
        assert.equal(code, expected);
      }
    });

    it('drops the channel of a device whose certificate is revoked', async () => {
      const { socket } = await open(b, 'dev-b');
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await bench.api('POST', '/v1/devices/dev-b/revoke', { reason: 'keyCompromise' }, 200);
      await closed;
      const again = await open(b, 'dev-b');
      const status = await new Promise<number>((resolve) => {
        again.socket.on('unexpected-response', (request, response) => {
          request.destroy();
          resolve(response.statusCode ?? 0);
        });
        again.socket.on('error', () => undefined);
      });
      assert.equal(status, 401);
    });
  });
});
