import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { skipUnlessCommand } from '@palisade/testkit';
import { AgentError, type AgentErrorCode } from '../agent-error.ts';
import { buildCsr } from '../identity/csr.ts';
import type { IdentityKey, RootOfTrust } from '../roots/index.ts';
import { openSoftwareRoot } from '../roots/software-root.ts';
import { issueClientCertificate, type TestPki } from '../roots/tpm-test-support.ts';
import { MAX_PANEL_ANSWER_BYTES, PanelClient } from './panel-client.ts';
import type { ClientIdentity, PanelEndpoint } from './panel-tls.ts';

const skip = skipUnlessCommand('openssl', ['version']);

type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

/** A fake panel over mutual TLS that records requests and connections. */
interface FakePanel {
  readonly port: number;
  readonly requests: string[];
  readonly connections: TLSSocket[];
  readonly closedConnections: TLSSocket[];
  close(): Promise<void>;
}

async function startPanel(
  tls: { key: string; cert: string; ca: string[] },
  handler: Handler,
  port = 0,
): Promise<FakePanel> {
  const requests: string[] = [];
  const connections: TLSSocket[] = [];
  const closedConnections: TLSSocket[] = [];
  const server: Server = createServer(
    { ...tls, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push(`${request.method} ${request.url}`);
        handler(request, response, Buffer.concat(chunks));
      });
      response.on('error', () => undefined);
    },
  );
  server.on('secureConnection', (socket: TLSSocket) => {
    connections.push(socket);
    socket.on('close', () => closedConnections.push(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    requests,
    connections,
    closedConnections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on (it was just free). */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

const send = (response: ServerResponse, status: number, contentType: string, body: string | Buffer) => {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
};

/** The fake panel's routes: each path answers one way. */
const routes: Handler = (request, response, body) => {
  switch (request.url) {
    case '/v1/echo':
      send(
        response,
        200,
        'application/json; charset=utf-8',
        JSON.stringify({ method: request.method, body: body.toString('utf8') }),
      );
      return;
    case '/v1/html':
      send(response, 200, 'text/html', '<html><body>captive portal</body></html>');
      return;
    case '/v1/bad-json':
      send(response, 200, 'application/json', '{"acknowledged": [');
      return;
    case '/v1/huge': {
      // 9 MiB of valid JSON, streamed: only its size is wrong.
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      response.write('[');
      for (let i = 0; i < 9; i += 1) response.write(chunk);
      response.end(']');
      return;
    }
    case '/v1/reset':
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"acknowledged": ["a", "b"');
      setTimeout(() => request.socket.destroy(), 50);
      return;
    case '/v1/reset-before-answer':
      request.socket.destroy();
      return;
    case '/v1/revoked':
      send(
        response,
        401,
        'application/problem+json',
        JSON.stringify({ type: 'about:blank', status: 401, code: 'DEVICE_CERTIFICATE_REFUSED' }),
      );
      return;
    case '/v1/forbidden':
      send(
        response,
        403,
        'application/problem+json',
        JSON.stringify({ status: 403, code: 'DEVICE_QUARANTINED', detail: 'the device is quarantined' }),
      );
      return;
    case '/v1/broken-problem':
      send(response, 409, 'application/problem+json', '{"code":');
      return;
    case '/v1/crash':
      send(response, 500, 'text/plain', 'Internal Server Error');
      return;
    default:
      send(response, 404, 'application/problem+json', JSON.stringify({ code: 'NOT_FOUND' }));
  }
};

const rejectsWith = (promise: Promise<unknown>, code: AgentErrorCode, check?: (error: AgentError) => void) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AgentError, String(error));
    assert.equal(error.code, code, error.message);
    check?.(error);
    return true;
  });

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('PanelClient', { skip }, () => {
  let work: string;
  let root: RootOfTrust;
  let pki: TestPki;
  let otherPki: TestPki;
  let firstKey: IdentityKey;
  let secondKey: IdentityKey;
  let identity: ClientIdentity;
  let secondIdentity: ClientIdentity;
  let serverTls: { key: string; cert: string; ca: string[] };

  const endpointAt = (port: number, caPem = pki.caPem): PanelEndpoint => ({
    url: new URL(`https://127.0.0.1:${port}`),
    caPem,
    serverName: 'localhost',
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-panel-client-'));
    root = await openSoftwareRoot({ keyDir: join(work, 'keys') });
    firstKey = await root.createKey('first');
    secondKey = await root.createKey('second');
    pki = await issueClientCertificate(await buildCsr(firstKey, { commonName: 'device-1' }));
    // A second device certificate (from another test CA, which the fake panel trusts too).
    otherPki = await issueClientCertificate(await buildCsr(secondKey, { commonName: 'device-1' }));
    identity = { certificatePem: pki.clientCertificatePem, key: firstKey.tlsClientKey() };
    secondIdentity = { certificatePem: otherPki.clientCertificatePem, key: secondKey.tlsClientKey() };
    serverTls = { key: pki.serverKeyPem, cert: pki.serverCertificatePem, ca: [pki.caPem, otherPki.caPem] };
  });
  after(async () => {
    await root?.close();
    await pki?.dispose();
    await otherPki?.dispose();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  describe('#json', () => {
    let panel: FakePanel;
    let client: PanelClient;
    before(async () => {
      panel = await startPanel(serverTls, routes);
      client = new PanelClient([endpointAt(panel.port)], identity);
    });
    after(async () => {
      client?.close();
      await panel?.close();
    });

    it('sends JSON and parses the JSON answer over one kept-alive mutual-TLS connection', async () => {
      const before = panel.connections.length;
      const first = await client.json<{ method: string; body: string }>('POST', '/v1/echo', { a: 1 });
      assert.deepEqual(first, { method: 'POST', body: '{"a":1}' });
      const second = await client.json<{ method: string }>('GET', '/v1/echo');
      assert.equal(second.method, 'GET');
      assert.equal(panel.connections.length - before, 1, 'both requests used one connection');
      const peer = panel.connections.at(-1)?.getPeerX509Certificate();
      assert.ok(peer, 'the panel saw the device certificate');
      assert.deepEqual(
        peer.publicKey.export({ format: 'der', type: 'spki' }),
        Buffer.from(firstKey.publicKeySpki),
      );
    });

    it('turns a 200 text/html answer into PANEL_ANSWER_INVALID', async () => {
      await rejectsWith(client.json('GET', '/v1/html'), 'PANEL_ANSWER_INVALID', (error) =>
        assert.match(error.message, /expected JSON, the panel sent "text\/html"/),
      );
    });

    it('turns a 200 application/json answer that does not parse into PANEL_ANSWER_INVALID', async () => {
      await rejectsWith(client.json('GET', '/v1/bad-json'), 'PANEL_ANSWER_INVALID', (error) => {
        assert.match(error.message, /does not parse/);
        assert.ok(error.cause instanceof SyntaxError);
      });
    });

    it(`stops reading an answer over ${MAX_PANEL_ANSWER_BYTES} bytes: PANEL_ANSWER_INVALID, and the client still works`, async () => {
      const closedBefore = panel.closedConnections.length;
      await rejectsWith(client.json('GET', '/v1/huge'), 'PANEL_ANSWER_INVALID', (error) =>
        assert.match(error.message, /answered more than 8388608 bytes/),
      );
      // The client hung up rather than reading (and buffering) the rest.
      await waitFor(() => panel.closedConnections.length > closedBefore, 'the client to hang up');
      const after = await client.json<{ method: string }>('GET', '/v1/echo');
      assert.equal(after.method, 'GET');
    });

    it('turns a connection reset in the middle of the answer into PANEL_UNREACHABLE', async () => {
      await rejectsWith(client.json('GET', '/v1/reset'), 'PANEL_UNREACHABLE', (error) =>
        assert.match(error.message, /broke off/),
      );
      await rejectsWith(client.json('GET', '/v1/reset-before-answer'), 'PANEL_UNREACHABLE');
      const after = await client.json<{ method: string }>('GET', '/v1/echo');
      assert.equal(after.method, 'GET');
    });

    it('turns a 401 DEVICE_CERTIFICATE_REFUSED problem into IDENTITY_REFUSED', async () => {
      await rejectsWith(client.json('GET', '/v1/revoked'), 'IDENTITY_REFUSED', (error) => {
        assert.deepEqual(error.details, { status: 401, problemCode: 'DEVICE_CERTIFICATE_REFUSED' });
        assert.match(error.message, /GET \/v1\/revoked: the panel answered 401 DEVICE_CERTIFICATE_REFUSED/);
      });
    });

    it('turns a 403 problem into PANEL_REFUSED with its status, code and detail', async () => {
      await rejectsWith(client.json('POST', '/v1/forbidden', {}), 'PANEL_REFUSED', (error) => {
        assert.deepEqual(error.details, { status: 403, problemCode: 'DEVICE_QUARANTINED' });
        assert.match(error.message, /403 DEVICE_QUARANTINED \(the device is quarantined\)/);
      });
    });

    it('turns a refusal without a (parseable) problem document into PANEL_REFUSED with its status', async () => {
      await rejectsWith(client.json('GET', '/v1/crash'), 'PANEL_REFUSED', (error) =>
        assert.deepEqual(error.details, { status: 500 }),
      );
      await rejectsWith(client.json('GET', '/v1/broken-problem'), 'PANEL_REFUSED', (error) =>
        assert.deepEqual(error.details, { status: 409 }),
      );
    });

    // REQUEST_TIMEOUT_MS is a fixed 30 s with no option to shorten it, so "a panel that never
    // answers" is not tested here: it would take 30 s.
  });

  it('sends nothing to a server whose certificate is not from the pinned CA', async () => {
    const impostor = await startPanel(
      { key: otherPki.serverKeyPem, cert: otherPki.serverCertificatePem, ca: [pki.caPem] },
      routes,
    );
    const client = new PanelClient([endpointAt(impostor.port)], identity);
    try {
      await rejectsWith(client.json('POST', '/v1/echo', { secret: 'report' }), 'PANEL_UNREACHABLE');
      assert.deepEqual(impostor.requests, []);
      assert.deepEqual(impostor.connections, [], 'no handshake completed');
    } finally {
      client.close();
      await impostor.close();
    }
  });

  it('fails over to the next URL and keeps using the one that answered', async () => {
    const downPort = await closedPort();
    const second = await startPanel(serverTls, routes);
    const endpoints = [endpointAt(downPort), endpointAt(second.port)];
    const client = new PanelClient(endpoints, identity);
    let first: FakePanel | undefined;
    try {
      assert.equal(client.preferred, endpoints[0]);
      const answer = await client.json<{ method: string }>('GET', '/v1/echo');
      assert.equal(answer.method, 'GET');
      assert.equal(client.preferred, endpoints[1]);
      assert.equal(second.requests.length, 1);

      // The first panel comes back: the client stays with the one that answered.
      first = await startPanel(serverTls, routes, downPort);
      await client.json('GET', '/v1/echo');
      await client.json('GET', '/v1/echo');
      assert.equal(client.preferred, endpoints[1]);
      assert.equal(second.requests.length, 3);
      assert.deepEqual(first.requests, []);

      // A refusal is an answer too: it does not fail over.
      await rejectsWith(client.json('GET', '/v1/forbidden'), 'PANEL_REFUSED');
      assert.equal(client.preferred, endpoints[1]);
      assert.deepEqual(first.requests, []);

      // Now the second goes away: back to the first.
      await second.close();
      await client.json('GET', '/v1/echo');
      assert.equal(client.preferred, endpoints[0]);
      assert.equal(first.requests.length, 1);
    } finally {
      client.close();
      await second.close();
      await first?.close();
    }
  });

  it('throws PANEL_UNREACHABLE when no URL answers', async () => {
    const client = new PanelClient(
      [endpointAt(await closedPort()), endpointAt(await closedPort())],
      identity,
    );
    try {
      await rejectsWith(client.json('GET', '/v1/echo'), 'PANEL_UNREACHABLE', (error) =>
        assert.match(error.message, /ECONNREFUSED/),
      );
    } finally {
      client.close();
    }
  });

  it('refuses to be built without a panel URL', () => {
    assert.throws(
      () => new PanelClient([]),
      (error: unknown) => error instanceof AgentError && error.code === 'AGENT_CONFIG_INVALID',
    );
  });

  it('closes kept-alive connections when the identity changes, and reconnects with the new one', async () => {
    const panel = await startPanel(serverTls, routes);
    const client = new PanelClient([endpointAt(panel.port)], identity);
    const spkiOf = (socket: TLSSocket | undefined) =>
      socket?.getPeerX509Certificate()?.publicKey.export({ format: 'der', type: 'spki' });
    try {
      await client.json('GET', '/v1/echo');
      const [old] = panel.connections;
      assert.ok(old);
      assert.deepEqual(spkiOf(old), Buffer.from(firstKey.publicKeySpki));
      assert.deepEqual(panel.closedConnections, [], 'the connection is kept alive');

      client.useIdentity(secondIdentity);
      await waitFor(() => panel.closedConnections.includes(old), 'the old connection to close');

      await client.json('GET', '/v1/echo');
      assert.equal(panel.connections.length, 2);
      assert.deepEqual(spkiOf(panel.connections[1]), Buffer.from(secondKey.publicKeySpki));
    } finally {
      client.close();
      await panel.close();
    }
  });
});
