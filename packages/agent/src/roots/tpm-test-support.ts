import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect, createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway CA (made by the openssl CLI, independent of the code under test) and what it issued. */
export interface TestPki {
  readonly caPem: string;
  readonly serverKeyPem: string;
  readonly serverCertificatePem: string;
  readonly clientCertificatePem: string;
  dispose(): Promise<void>;
}

/** Issues a client certificate for a DER PKCS#10 request; openssl checks the request's signature first. */
export async function issueClientCertificate(csrDer: Uint8Array): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-tpm-pki-'));
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => run('openssl', args, { timeout: 30_000 });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-subj',
      '/CN=Test CA',
      '-days',
      '2',
    ]);
    await openssl([
      'req',
      '-new',
      ...ec,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    await writeFile(file('ext'), 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      '1',
      '-days',
      '2',
      '-extfile',
      file('ext'),
      '-out',
      file('server.pem'),
    ]);
    await writeFile(file('client.der'), csrDer);
    await openssl([
      'req',
      '-inform',
      'DER',
      '-in',
      file('client.der'),
      '-verify',
      '-out',
      file('client.csr'),
    ]);
    await writeFile(file('client-ext'), 'extendedKeyUsage=clientAuth\n');
    await openssl([
      'x509',
      '-req',
      '-in',
      file('client.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      '2',
      '-days',
      '2',
      '-extfile',
      file('client-ext'),
      '-out',
      file('client.pem'),
    ]);
    const text = (name: string) => readFile(file(name), 'utf8');
    return {
      caPem: await text('ca.pem'),
      serverKeyPem: await text('server.key'),
      serverCertificatePem: await text('server.pem'),
      clientCertificatePem: await text('client.pem'),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface HandshakeSeen {
  readonly serverAuthorized: boolean;
  readonly authorizationError: string | undefined;
  readonly clientPublicKeySpki: Buffer;
  readonly clientBinding: Buffer;
  readonly serverBinding: Buffer;
}

/** One mutual-TLS connection on 127.0.0.1 to a Node server that requires a client certificate from the test CA. */
export async function mutualTlsHandshake(
  pki: TestPki,
  keyOptions: ConnectionOptions,
): Promise<HandshakeSeen> {
  // RFC 9266 tls-exporter: what the agent puts in the CSR challengePassword for EST.
  const binding = (socket: TLSSocket) =>
    socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  let serverSide: ((socket: TLSSocket) => void) | undefined;
  const accepted = new Promise<TLSSocket>((resolve) => {
    serverSide = resolve;
  });
  const server = createServer(
    {
      key: pki.serverKeyPem,
      cert: pki.serverCertificatePem,
      ca: pki.caPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => serverSide?.(socket),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const client = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: pki.caPem,
      cert: pki.clientCertificatePem,
      ...keyOptions,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    const socket = await accepted;
    const peer = socket.getPeerX509Certificate();
    const seen: HandshakeSeen = {
      serverAuthorized: socket.authorized,
      authorizationError: socket.authorizationError?.message,
      clientPublicKeySpki: peer?.publicKey.export({ format: 'der', type: 'spki' }) ?? Buffer.alloc(0),
      clientBinding: binding(client),
      serverBinding: binding(socket),
    };
    client.destroy();
    socket.destroy();
    return seen;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
