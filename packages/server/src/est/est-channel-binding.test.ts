import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { skipUnlessCommand } from '@palisade/testkit';
import { x509 } from '../pki/index.ts';
import { EstBench, exchange, problem, run } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

/** RFC 9266 tls-exporter on TLS 1.3; RFC 5929 tls-unique (the client's Finished) on a full TLS 1.2 handshake. */
function bindingOf(socket: TLSSocket): Buffer {
  if (socket.getProtocol() === 'TLSv1.3')
    return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  const finished = socket.isSessionReused() ? socket.getPeerFinished() : socket.getFinished();
  assert.ok(finished);
  return finished;
}

/** A CSR made with @peculiar/x509 whose challengePassword carries the binding (RFC 7030 §3.5). */
async function boundCsr(commonName: string, binding: Buffer | undefined): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    attributes: binding ? [new x509.ChallengePasswordAttribute(binding.toString('base64'))] : [],
  });
  return Buffer.from(csr.rawData).toString('base64');
}

describe('EST channel binding (RFC 7030 §3.5)', { skip: tools }, () => {
  let b: EstBench;

  before(async () => {
    b = await EstBench.start();
    await b.group('bound', { targetLevel: 'SLE', requireChannelBinding: true });
  });
  after(async () => {
    await b.close();
  });

  function enroll(socket: TLSSocket, id: string, token: string, csr: string) {
    return exchange(socket, {
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: {
        authorization: `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`,
        'content-type': 'application/pkcs10',
      },
      body: csr,
    });
  }

  it('refuses a CSR without challengePassword in a group that requires it: 401 CHANNEL_BINDING_REQUIRED', async () => {
    const token = await b.device('cb-none', 'bound');
    const csr = await b.csr(await b.key('cb-none'), '/CN=cb-none');
    const before = await b.certificateCount();
    const answer = await b.curl('simpleenroll', { bodyFile: csr.base64, basic: `cb-none:${token}` });
    assert.equal(answer.status, 401);
    assert.equal(problem(answer).code, 'CHANNEL_BINDING_REQUIRED');
    assert.equal(await b.certificateCount(), before);
  });

  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`enrolls over ${version} with the binding of the same connection`, async () => {
      const id = `cb-${version.slice(-3).replace('.', '')}`;
      const token = await b.device(id, 'bound');
      const socket = await b.connect({ minVersion: version, maxVersion: version });
      try {
        assert.equal(socket.getProtocol(), version);
        const answer = await enroll(socket, id, token, await boundCsr(id, bindingOf(socket)));
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.headers['content-type'], 'application/pkcs7-mime; smime-type=certs-only');
      } finally {
        socket.destroy();
      }
    });

    it(`refuses over ${version} a binding taken from another connection: 401 CHANNEL_BINDING_MISMATCH`, async () => {
      const id = `cb-${version.slice(-3).replace('.', '')}-relay`;
      const token = await b.device(id, 'bound');
      const victim = await b.connect({ minVersion: version, maxVersion: version });
      const relay = await b.connect({ minVersion: version, maxVersion: version });
      try {
        const before = await b.certificateCount();
        const stolen = await boundCsr(id, bindingOf(victim));
        const answer = await enroll(relay, id, token, stolen);
        assert.equal(answer.status, 401, answer.body);
        assert.equal(JSON.parse(answer.body).code, 'CHANNEL_BINDING_MISMATCH');
        assert.equal(await b.certificateCount(), before);
        // The refusal did not spend the token: the CSR goes through on the connection it was made for.
        assert.equal((await enroll(victim, id, token, stolen)).status, 200);
      } finally {
        victim.destroy();
        relay.destroy();
      }
    });
  }

  it('uses the server Finished as tls-unique on a resumed TLS 1.2 session', async () => {
    const first = await b.connect({ maxVersion: 'TLSv1.2' });
    const session = await new Promise<Buffer>((resolve) => {
      const existing = first.getSession();
      if (existing) resolve(existing);
      else first.once('session', resolve);
    });
    first.destroy();
    const token = await b.device('cb-resumed', 'bound');
    const socket = await b.connect({ maxVersion: 'TLSv1.2', session });
    try {
      assert.equal(socket.isSessionReused(), true);
      const answer = await enroll(
        socket,
        'cb-resumed',
        token,
        await boundCsr('cb-resumed', bindingOf(socket)),
      );
      assert.equal(answer.status, 200, answer.body);
    } finally {
      socket.destroy();
    }
  });

  it('agrees with OpenSSL s_client on the TLS 1.3 exporter value (-keymatexport)', async () => {
    const token = await b.device('cb-openssl', 'bound');
    const key = await b.key('cb-openssl');
    const child = spawn('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${b.devicePort}`,
      '-servername',
      'localhost',
      '-CAfile',
      b.rootCa,
      '-tls1_3',
      '-nocommands',
      '-ign_eof',
      '-keymatexport',
      'EXPORTER-Channel-Binding',
      '-keymatexportlen',
      '32',
    ]);
    let output = '';
    child.stdout.setEncoding('utf8');
    const exported = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const hex = /Keying material:\s*([0-9A-F]{64})/i.exec(output)?.[1];
        if (hex) resolve(hex);
      });
      child.once('exit', () => reject(new Error(`s_client ended without keying material:\n${output}`)));
    });
    const config = await b.write(
      'cb-openssl.cnf',
      [
        '[req]',
        'prompt = no',
        'distinguished_name = dn',
        'attributes = attrs',
        '[dn]',
        'CN = cb-openssl',
        '[attrs]',
        `challengePassword = ${Buffer.from(exported, 'hex').toString('base64')}`,
        '',
      ].join('\n'),
    );
    const der = b.file('cb-openssl.der');
    await run('openssl', ['req', '-new', '-key', key, '-config', config, '-outform', 'DER', '-out', der]);
    const csr = (await run('openssl', ['base64', '-A', '-in', der])).trim();
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end(
      [
        'POST /.well-known/est/simpleenroll HTTP/1.1',
        'Host: localhost',
        `Authorization: Basic ${Buffer.from(`cb-openssl:${token}`).toString('base64')}`,
        'Content-Type: application/pkcs10',
        `Content-Length: ${csr.length}`,
        'Connection: close',
        '',
        csr,
      ].join('\r\n'),
    );
    await closed;
    assert.match(output, /HTTP\/1\.1 200 /, output.slice(-2000));
    assert.match(output, /content-type: application\/pkcs7-mime; smime-type=certs-only/i);
  });
});
