import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { LogCapture, skipUnlessCommand } from '@palisade/testkit';
import fc from 'fast-check';
import { pino } from 'pino';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { buildCsr } from '../identity/csr.ts';
import type { IdentityKey, RootOfTrust } from '../roots/index.ts';
import { openSoftwareRoot } from '../roots/software-root.ts';
import { issueClientCertificate, type TestPki } from '../roots/tpm-test-support.ts';
import type { ClientIdentity, PanelEndpoint } from './panel-tls.ts';
import {
  MAX_PUSH_BYTES,
  PushChannel,
  type PushChannelOptions,
  type PushNotice,
  parseNotice,
} from './push-channel.ts';

const skip = skipUnlessCommand('openssl', ['version']);

type VerifyClient = (
  info: { req: IncomingMessage },
  callback: (accept: boolean, code?: number, message?: string) => void,
) => void;

/** A fake panel's push endpoint: wss over mutual TLS, recording upgrades, connections and closes. */
interface PushPanel {
  readonly port: number;
  readonly upgrades: string[];
  readonly connections: WebSocket[];
  readonly peers: Buffer[];
  readonly closes: Array<{ readonly connection: number; readonly code: number }>;
  close(): Promise<void>;
}

async function startPushPanel(
  pki: TestPki,
  behaviour: {
    readonly onConnection?: (socket: WebSocket, index: number) => void;
    readonly verifyClient?: VerifyClient;
  } = {},
): Promise<PushPanel> {
  const upgrades: string[] = [];
  const connections: WebSocket[] = [];
  const peers: Buffer[] = [];
  const closes: Array<{ connection: number; code: number }> = [];
  const server: Server = createServer({
    key: pki.serverKeyPem,
    cert: pki.serverCertificatePem,
    ca: pki.caPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const verifyClient: VerifyClient = (info, callback) => {
    upgrades.push(info.req.url ?? '');
    if (behaviour.verifyClient) behaviour.verifyClient(info, callback);
    else callback(true);
  };
  const wss = new WebSocketServer({ server, verifyClient });
  wss.on('connection', (socket, request) => {
    const index = connections.length;
    connections.push(socket);
    const peer = (request.socket as TLSSocket).getPeerX509Certificate();
    peers.push(peer ? peer.publicKey.export({ format: 'der', type: 'spki' }) : Buffer.alloc(0));
    socket.on('error', () => undefined);
    socket.on('close', (code) => closes.push({ connection: index, code }));
    behaviour.onConnection?.(socket, index);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    upgrades,
    connections,
    peers,
    closes,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 4_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A push channel under test, running until `stop`, which says how long the loop took to end. */
interface Running {
  readonly channel: PushChannel;
  readonly notices: PushNotice[];
  readonly refusals: number[];
  readonly logs: LogCapture;
  readonly messages: () => string[];
  stop(): Promise<number>;
}

describe('PushChannel', { skip }, () => {
  let work: string;
  let root: RootOfTrust;
  let key: IdentityKey;
  let pki: TestPki;
  let identity: ClientIdentity;
  const running: Running[] = [];

  const endpointAt = (port: number): PanelEndpoint => ({
    url: new URL(`https://127.0.0.1:${port}`),
    caPem: pki.caPem,
    serverName: 'localhost',
  });

  const start = (endpoints: readonly PanelEndpoint[], options: Partial<PushChannelOptions> = {}): Running => {
    const notices: PushNotice[] = [];
    const refusals: number[] = [];
    const logs = new LogCapture();
    const channel = new PushChannel({
      deviceId: 'device 1',
      endpoints,
      preferred: () => endpoints[0] as PanelEndpoint,
      identity: () => identity,
      onNotice: (notice) => notices.push(notice),
      onRefused: (status) => refusals.push(status),
      logger: pino({ level: 'debug' }, logs),
      backoff: { baseMs: 50, capMs: 200 },
      ...options,
    });
    const abort = new AbortController();
    const loop = channel.run(abort.signal);
    const run: Running = {
      channel,
      notices,
      refusals,
      logs,
      messages: () => logs.records().map((record) => String(record.msg)),
      stop: async () => {
        const started = Date.now();
        abort.abort();
        await loop;
        return Date.now() - started;
      },
    };
    running.push(run);
    return run;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-push-'));
    root = await openSoftwareRoot({ keyDir: join(work, 'keys') });
    key = await root.createKey('device');
    pki = await issueClientCertificate(await buildCsr(key, { commonName: 'device-1' }));
    identity = { certificatePem: pki.clientCertificatePem, key: key.tlsClientKey() };
  });
  after(async () => {
    // A failed test must not leave a loop running.
    await Promise.all(running.map((run) => run.stop()));
    await root?.close();
    await pki?.dispose();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('logs and drops malformed pushes, acts on the valid one, and keeps the connection', async () => {
    const malformedPushes: Array<[string | Buffer, boolean]> = [
      ['{"type": "desired-state-changed", ', false],
      [Buffer.from(JSON.stringify({ type: 'desired-state-changed', reason: 'binary' })), true],
      [JSON.stringify({ type: 'wipe-disk', reason: 'now' }), false],
      [JSON.stringify({ type: 'hello', heartbeatSeconds: 1e12 }), false],
    ];
    const panel = await startPushPanel(pki, {
      onConnection: (socket) => {
        for (const [push, binary] of malformedPushes) socket.send(push, { binary });
        socket.send(JSON.stringify({ type: 'desired-state-changed', reason: 'policy 7 published' }));
      },
    });
    const run = start([endpointAt(panel.port)]);
    try {
      await waitFor(() => run.notices.length > 0, 'the valid notice');
      await delay(200);
      assert.deepEqual(run.notices, [{ type: 'desired-state-changed', reason: 'policy 7 published' }]);
      const malformed = run.logs
        .records()
        .filter((record) => record.msg === 'ignored a malformed push message');
      assert.equal(malformed.length, 4);
      assert.ok(malformed.every((record) => record.level === 50 && record.component === 'push'));
      assert.deepEqual(
        malformed.map((record) => record.bytes),
        malformedPushes.map(([push]) => Buffer.byteLength(push)),
      );
      assert.equal(run.channel.connected, true);
      assert.equal(panel.connections.length, 1);
      assert.deepEqual(panel.closes, []);
      assert.deepEqual(panel.upgrades, ['/v1/devices/device%201/channel']);
      assert.deepEqual(panel.peers[0], Buffer.from(key.publicKeySpki), 'the device certificate was used');

      // Stopping closes the connection as "going away" and ends the loop at once.
      const took = await run.stop();
      assert.ok(took < 1_000, `stopped in ${took} ms`);
      await waitFor(() => panel.closes.length === 1, 'the close');
      assert.deepEqual(panel.closes, [{ connection: 0, code: 1001 }]);
      assert.equal(run.channel.connected, false);
    } finally {
      await run.stop();
      await panel.close();
    }
  });

  it(`takes a ${MAX_PUSH_BYTES}-byte frame, closes with 1009 on a bigger one, and reconnects`, async () => {
    const panel = await startPushPanel(pki, {
      onConnection: (socket, index) => {
        if (index > 0) return;
        socket.send('x'.repeat(MAX_PUSH_BYTES));
        socket.send('x'.repeat(MAX_PUSH_BYTES + 1));
      },
    });
    const run = start([endpointAt(panel.port)]);
    try {
      await waitFor(() => panel.connections.length === 2, 'a second connection');
      assert.deepEqual(panel.closes[0], { connection: 0, code: 1009 });
      const malformed = run.logs
        .records()
        .filter((record) => record.msg === 'ignored a malformed push message');
      assert.deepEqual(
        malformed.map((record) => record.bytes),
        [MAX_PUSH_BYTES],
        'the frame at the limit was read (and dropped as malformed), the one over it was not',
      );
      assert.ok(run.messages().includes('push channel error'));
      await waitFor(() => run.channel.connected, 'the channel to be open again');
      assert.deepEqual(run.notices, []);
    } finally {
      await run.stop();
      await panel.close();
    }
  });

  it('reports a refused upgrade (401) and retries with backoff', async () => {
    const panel = await startPushPanel(pki, {
      verifyClient: (_info, callback) => callback(false, 401, 'Unauthorized'),
    });
    const run = start([endpointAt(panel.port)], { backoff: { baseMs: 50, capMs: 400 } });
    try {
      await delay(1_200);
      assert.ok(run.refusals.length >= 2, `${run.refusals.length} refusals: it retries`);
      assert.ok(run.refusals.every((status) => status === 401));
      // Without backoff the loop would retry hundreds of times in this window.
      assert.ok(panel.upgrades.length <= 25, `${panel.upgrades.length} attempts in 1.2 s: it backs off`);
      assert.equal(run.refusals.length, panel.upgrades.length);
      assert.equal(panel.connections.length, 0);
      const refused = run.logs.records().find((record) => record.msg === 'push channel refused');
      assert.equal(refused?.status, 401);
      assert.equal(run.channel.connected, false);
      const took = await run.stop();
      assert.ok(took < 1_000, `stopped in ${took} ms`);
    } finally {
      await run.stop();
      await panel.close();
    }
  });

  it('moves on to the next panel URL when the first is down', async () => {
    const panel = await startPushPanel(pki, {
      onConnection: (socket) => socket.send(JSON.stringify({ type: 'hello', heartbeatSeconds: 60 })),
    });
    const run = start([endpointAt(await closedPort()), endpointAt(panel.port)]);
    try {
      await waitFor(() => run.notices.length > 0, 'the hello from the second panel');
      assert.deepEqual(run.notices, [{ type: 'hello', heartbeatSeconds: 60 }]);
      assert.equal(panel.connections.length, 1);
      assert.equal(run.channel.connected, true);
      assert.ok(run.messages().includes('push channel error'), 'the first URL failing is logged');
    } finally {
      await run.stop();
      await panel.close();
    }
  });

  it('reconnects on request, whether connecting or open', async () => {
    let holdFirst = true;
    let heldUpgrade: (() => void) | undefined;
    const panel = await startPushPanel(pki, {
      verifyClient: (_info, callback) => {
        if (holdFirst) {
          holdFirst = false;
          // The client stays in CONNECTING until the panel answers the upgrade.
          heldUpgrade = () => callback(true);
          return;
        }
        callback(true);
      },
    });
    const run = start([endpointAt(panel.port)]);
    try {
      assert.doesNotThrow(() => new PushChannel(optionsFor(panel.port)).reconnect(), 'no socket yet');
      await waitFor(() => heldUpgrade !== undefined, 'the first upgrade to reach the panel');
      assert.equal(run.channel.connected, false);
      assert.doesNotThrow(() => run.channel.reconnect());
      // The panel answering the dropped attempt now finds its socket gone (1006, abnormal closure).
      heldUpgrade?.();
      await waitFor(() => run.channel.connected, 'the channel to open after the dropped attempt');
      assert.equal(panel.upgrades.length, 2);
      const open = panel.connections.at(-1) as WebSocket;
      const openIndex = panel.connections.indexOf(open);

      assert.doesNotThrow(() => run.channel.reconnect());
      await waitFor(
        () => panel.connections.length > openIndex + 1 && run.channel.connected,
        'a new connection after reconnect()',
      );
      await waitFor(
        () => panel.closes.some((close) => close.connection === openIndex),
        'the panel to see the old connection close',
      );
      assert.equal(panel.closes.find((close) => close.connection === openIndex)?.code, 1000);
      assert.ok(
        panel.closes.every((close) => close.connection === openIndex || close.code === 1006),
        JSON.stringify(panel.closes),
      );
      assert.equal(panel.upgrades.length, 3);
    } finally {
      await run.stop();
      await panel.close();
    }
  });

  it('stops promptly while waiting out a backoff, while connecting, and without an identity', async () => {
    // A long backoff against a URL that is down: abort must not wait it out.
    const down = start([endpointAt(await closedPort())], { backoff: { baseMs: 60_000, capMs: 60_000 } });
    await delay(200);
    assert.ok((await down.stop()) < 500);

    // An upgrade the panel never answers.
    const panel = await startPushPanel(pki, { verifyClient: () => undefined });
    try {
      const connecting = start([endpointAt(panel.port)]);
      await waitFor(() => panel.upgrades.length === 1, 'the upgrade');
      assert.ok((await connecting.stop()) < 500);
    } finally {
      await panel.close();
    }

    // No identity yet: the loop waits, and still stops at once.
    const noIdentity = start([endpointAt(await closedPort())], {
      identity: () => undefined,
      backoff: { baseMs: 60_000, capMs: 60_000 },
    });
    await delay(100);
    assert.ok((await noIdentity.stop()) < 500);
  });

  function optionsFor(port: number): PushChannelOptions {
    const endpoint = endpointAt(port);
    return {
      deviceId: 'device-1',
      endpoints: [endpoint],
      preferred: () => endpoint,
      identity: () => identity,
      onNotice: () => undefined,
      logger: pino({ level: 'silent' }),
    };
  }
});

describe('parseNotice', () => {
  const text = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('accepts the four known pushes', () => {
    assert.deepEqual(parseNotice(text({ type: 'hello', heartbeatSeconds: 30 }), false), {
      type: 'hello',
      heartbeatSeconds: 30,
    });
    assert.deepEqual(parseNotice(text({ type: 'renew-certificate', reason: 'ca rotated', x: 1 }), false), {
      type: 'renew-certificate',
      reason: 'ca rotated',
    });
    assert.deepEqual(parseNotice(text({ type: 'desired-state-changed', reason: '' }), false), {
      type: 'desired-state-changed',
      reason: '',
    });
    assert.deepEqual(parseNotice(text({ type: 'attest', reason: 'operator-request' }), false), {
      type: 'attest',
      reason: 'operator-request',
    });
  });

  it('refuses binary frames, other types, and out-of-range fields', () => {
    const refused: Array<[unknown, boolean]> = [
      [{ type: 'hello', heartbeatSeconds: 30 }, true],
      [{ type: 'hello', heartbeatSeconds: 4 }, false],
      [{ type: 'hello', heartbeatSeconds: 86_401 }, false],
      [{ type: 'hello', heartbeatSeconds: 30.5 }, false],
      [{ type: 'hello', heartbeatSeconds: '30' }, false],
      [{ type: 'renew-certificate', reason: 'r'.repeat(201) }, false],
      [{ type: 'desired-state-changed' }, false],
      [{ type: 'reboot', reason: 'now' }, false],
      [null, false],
      ['hello', false],
      [[{ type: 'hello', heartbeatSeconds: 30 }], false],
    ];
    for (const [value, binary] of refused) {
      assert.equal(parseNotice(text(value), binary), undefined, JSON.stringify(value));
    }
    assert.equal(parseNotice(Buffer.from('{"type":'), false), undefined);
  });

  it('never throws, and returns only the known shapes, whatever the bytes', () => {
    const known = (notice: PushNotice | undefined) =>
      notice === undefined ||
      (notice.type === 'hello' && Object.keys(notice).length === 2) ||
      ((notice.type === 'desired-state-changed' ||
        notice.type === 'renew-certificate' ||
        notice.type === 'attest') &&
        typeof notice.reason === 'string' &&
        Object.keys(notice).length === 2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, binary) =>
        known(parseNotice(Buffer.from(bytes), binary)),
      ),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            type: fc.constantFrom('hello', 'desired-state-changed', 'renew-certificate', 'attest', 'other'),
            heartbeatSeconds: fc.oneof(fc.integer(), fc.double(), fc.string()),
            reason: fc.oneof(fc.string({ maxLength: 250 }), fc.integer()),
          }),
        ),
        (value) => known(parseNotice(Buffer.from(JSON.stringify(value) ?? 'null'), false)),
      ),
    );
  });
});
