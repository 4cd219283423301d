import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Duplex, PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import { skipUnlessCommand } from '@palisade/testkit';
import { AgentError } from '../agent-error.ts';
import { buildCsr } from '../identity/csr.ts';
import type { RootOfTrust } from '../roots/index.ts';
import { openSoftwareRoot } from '../roots/software-root.ts';
import { issueClientCertificate, type TestPki } from '../roots/tpm-test-support.ts';
import { type ClientIdentity, channelBindingOf, openPanelTls, type PanelEndpoint } from './panel-tls.ts';

const skip = skipUnlessCommand('openssl', ['version']);

/** A TLS server on 127.0.0.1 that records what it saw: handshakes completed, bytes received. */
interface SeenServer {
  readonly server: Server;
  readonly port: number;
  readonly accepted: TLSSocket[];
  readonly received: Buffer[];
  readonly clientErrors: Error[];
  close(): Promise<void>;
}

async function startServer(options: TlsOptions): Promise<SeenServer> {
  const accepted: TLSSocket[] = [];
  const received: Buffer[] = [];
  const clientErrors: Error[] = [];
  const server = createServer(options, (socket) => {
    accepted.push(socket);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
  });
  server.on('tlsClientError', (error) => clientErrors.push(error));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    server,
    port: address.port,
    accepted,
    received,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of accepted) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const endpoint = (port: number, caPem: string, serverName?: string): PanelEndpoint => ({
  url: new URL(`https://127.0.0.1:${port}`),
  caPem,
  ...(serverName === undefined ? {} : { serverName }),
});

const rejectsUnreachable = (opening: Promise<Duplex>, message: RegExp, causeCode: string) =>
  assert.rejects(
    // A connection that should not have opened is closed, so the failure is reported, not hung.
    opening.then((socket) => {
      socket.destroy();
      return socket;
    }),
    (error: unknown) => {
      assert.ok(error instanceof AgentError, String(error));
      assert.equal(error.code, 'PANEL_UNREACHABLE', error.message);
      assert.match(error.message, message);
      // The cause is kept, and named in the message.
      assert.ok(error.cause instanceof Error, 'the TLS error is the cause');
      assert.ok(error.message.includes(error.cause.message), error.message);
      assert.equal((error.cause as NodeJS.ErrnoException).code, causeCode);
      return true;
    },
  );

/** The key exchange group the handshake settled on. */
const groupOf = (socket: TLSSocket): string | undefined => {
  const info = socket.getEphemeralKeyInfo();
  return info !== null && 'name' in info ? String(info.name) : undefined;
};

/** Lets the server side notice whatever the client did last (handshake end, close). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('openPanelTls', { skip }, () => {
  let work: string;
  let root: RootOfTrust;
  let pinned: TestPki;
  let other: TestPki;
  let identity: ClientIdentity;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-panel-tls-'));
    root = await openSoftwareRoot({ keyDir: join(work, 'keys') });
    const key = await root.createKey('device');
    const csr = await buildCsr(key, { commonName: 'device-1' });
    // Two independent CAs with the same subject name: only the pinned key may vouch for the panel.
    pinned = await issueClientCertificate(csr);
    other = await issueClientCertificate(csr);
    identity = { certificatePem: pinned.clientCertificatePem, key: key.tlsClientKey() };
  });
  after(async () => {
    await root?.close();
    await pinned?.dispose();
    await other?.dispose();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('refuses a server whose certificate chains to another CA, naming the cause, before any data', async () => {
    const server = await startServer({ key: other.serverKeyPem, cert: other.serverCertificatePem });
    try {
      await rejectsUnreachable(
        openPanelTls(endpoint(server.port, pinned.caPem, 'localhost'), identity),
        new RegExp(`cannot reach the panel at https://127\\.0\\.0\\.1:${server.port}: unable to verify`),
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      );
      await settle();
      assert.equal(server.accepted.length, 0, 'the server never saw a completed handshake');
      assert.deepEqual(server.received, [], 'no application data reached the server');
      assert.equal(server.clientErrors.length, 1, 'the server saw the client abort the handshake');
    } finally {
      await server.close();
    }
  });

  it('refuses a certificate from the pinned CA issued for another name', async () => {
    const server = await startServer({ key: pinned.serverKeyPem, cert: pinned.serverCertificatePem });
    try {
      await rejectsUnreachable(
        openPanelTls(endpoint(server.port, pinned.caPem, 'panel.example.org'), identity),
        /panel\.example\.org/,
        'ERR_TLS_CERT_ALTNAME_INVALID',
      );
      // Without serverName the URL's host (an IP address) is what the certificate must name.
      await rejectsUnreachable(
        openPanelTls(endpoint(server.port, pinned.caPem), identity),
        /IP: 127\.0\.0\.1 is not in the cert's list/,
        'ERR_TLS_CERT_ALTNAME_INVALID',
      );
      await settle();
      assert.deepEqual(server.received, [], 'no application data reached the server');
    } finally {
      await server.close();
    }
  });

  it('refuses a connection that is not there as PANEL_UNREACHABLE', async () => {
    const server = await startServer({ key: pinned.serverKeyPem, cert: pinned.serverCertificatePem });
    await server.close();
    await rejectsUnreachable(
      openPanelTls(endpoint(server.port, pinned.caPem, 'localhost'), identity),
      /ECONNREFUSED/,
      'ECONNREFUSED',
    );
  });

  it('connects to the right panel over TLS 1.3 with the hybrid post-quantum group and the client certificate', async () => {
    const server = await startServer({
      key: pinned.serverKeyPem,
      cert: pinned.serverCertificatePem,
      ca: pinned.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      ecdhCurve: 'X25519MLKEM768:X25519',
    });
    try {
      const socket = await openPanelTls(endpoint(server.port, pinned.caPem, 'localhost'), identity);
      try {
        const tls = socket as TLSSocket;
        assert.equal(tls.getProtocol(), 'TLSv1.3');
        assert.equal(tls.authorized, true);
        assert.equal(groupOf(tls), 'X25519MLKEM768');
        await settle();
        const [accepted] = server.accepted;
        assert.ok(accepted, 'the server accepted the connection');
        assert.equal(accepted.authorized, true, String(accepted.authorizationError));
        assert.equal(
          accepted.getPeerX509Certificate()?.serialNumber,
          new X509Certificate(pinned.clientCertificatePem).serialNumber,
        );
      } finally {
        socket.destroy();
      }
    } finally {
      await server.close();
    }
  });

  it('falls back to X25519 when the server does not offer the hybrid group', async () => {
    const server = await startServer({
      key: pinned.serverKeyPem,
      cert: pinned.serverCertificatePem,
      ecdhCurve: 'X25519',
    });
    try {
      const socket = (await openPanelTls(endpoint(server.port, pinned.caPem, 'localhost'))) as TLSSocket;
      assert.equal(groupOf(socket), 'X25519');
      socket.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('channelBindingOf', { skip }, () => {
  let pki: TestPki;
  let root: RootOfTrust;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-binding-'));
    root = await openSoftwareRoot({ keyDir: join(work, 'keys') });
    const key = await root.createKey('device');
    pki = await issueClientCertificate(await buildCsr(key, { commonName: 'device-1' }));
  });
  after(async () => {
    await root?.close();
    await pki?.dispose();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("equals the server's RFC 9266 tls-exporter value on TLS 1.3", async () => {
    const server = await startServer({ key: pki.serverKeyPem, cert: pki.serverCertificatePem });
    try {
      const socket = await openPanelTls(endpoint(server.port, pki.caPem, 'localhost'));
      await settle();
      const [accepted] = server.accepted;
      assert.ok(accepted);
      const binding = channelBindingOf(socket);
      assert.ok(binding);
      assert.equal(binding.length, 32);
      assert.deepEqual(
        Buffer.from(binding),
        accepted.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)),
      );
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it("equals the server's RFC 5929 tls-unique value (the client's Finished) on TLS 1.2", async () => {
    const server = await startServer({
      key: pki.serverKeyPem,
      cert: pki.serverCertificatePem,
      maxVersion: 'TLSv1.2',
    });
    try {
      const socket = (await openPanelTls(endpoint(server.port, pki.caPem, 'localhost'))) as TLSSocket;
      assert.equal(socket.getProtocol(), 'TLSv1.2');
      await settle();
      const [accepted] = server.accepted;
      assert.ok(accepted);
      const binding = channelBindingOf(socket);
      assert.ok(binding);
      assert.deepEqual(Buffer.from(binding), accepted.getPeerFinished());
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('is undefined for a connection that is not a Node TLS socket', () => {
    assert.equal(channelBindingOf(new PassThrough()), undefined);
  });
});
