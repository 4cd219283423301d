import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { skipUnlessCommand, startTestPanel, type TestPanel } from '@palisade/testkit';
import { issueLeafWithNewKey, x509 } from '../pki/index.ts';
import { DEVICE_TLS_GROUPS } from './device-app.ts';

/** Runs an independent tool and returns its exit code and output, without throwing on failure. */
async function tool(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('panel listeners, checked with independent TLS clients', () => {
  let t: TestPanel;
  let dir: string;
  let rootCa: string;
  let operatorPort: number;
  let devicePort: number;

  before(async () => {
    t = await startTestPanel({ hosts: ['panel.example.test'] });
    dir = await mkdtemp(join(tmpdir(), 'palisade-tls-'));
    rootCa = t.panel.facts.rootCaPath;
    operatorPort = (t.panel.operatorApp.server.address() as AddressInfo).port;
    devicePort = (t.panel.deviceApp.server.address() as AddressInfo).port;
  });
  after(async () => {
    await t[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  async function deviceCredentials(name: string, issuer = t.panel.services.ca.issuing) {
    const issued = await issueLeafWithNewKey(issuer, { commonName: name, usage: 'client', validityDays: 1 });
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    await writeFile(cert, issued.certificatePem);
    await writeFile(key, issued.privateKeyPem, { mode: 0o600 });
    return { cert, key };
  }

  describe('CA hierarchy', () => {
    it('verifies with openssl: issuing CA under the root, fingerprint as announced', {
      skip: skipUnlessCommand('openssl', ['version']),
    }, async () => {
      const issuing = join(t.dataDir, 'ca', 'issuing-ca.pem');
      const verify = await tool('openssl', ['verify', '-x509_strict', '-CAfile', rootCa, issuing]);
      assert.equal(verify.code, 0, verify.stderr);
      const fingerprint = await tool('openssl', ['x509', '-in', rootCa, '-noout', '-fingerprint', '-sha256']);
      assert.equal(fingerprint.stdout.trim().split('=')[1], t.panel.facts.rootCaFingerprint);
      const text = (await tool('openssl', ['x509', '-in', issuing, '-noout', '-text'])).stdout;
      assert.match(text, /CA:TRUE, pathlen:0/);
      assert.match(text, /ecdsa-with-SHA256/);
    });

    it('stores CA keys as encrypted PKCS#8 that openssl opens only with the passphrase', {
      skip: skipUnlessCommand('openssl', ['version']),
    }, async () => {
      const row = (
        await t.panel.services.db.query<{ encrypted_key_pem: string }>(
          "SELECT encrypted_key_pem FROM ca_material WHERE name = 'issuing'",
        )
      ).rows[0];
      assert.match(row?.encrypted_key_pem ?? '', /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      const keyFile = join(dir, 'issuing.key.enc');
      await writeFile(keyFile, row?.encrypted_key_pem ?? '');
      const good = await tool('openssl', [
        'pkey',
        '-in',
        keyFile,
        '-passin',
        'pass:test-passphrase-0123456789',
        '-noout',
      ]);
      assert.equal(good.code, 0, good.stderr);
      const bad = await tool('openssl', [
        'pkey',
        '-in',
        keyFile,
        '-passin',
        'pass:wrong-passphrase-000000',
        '-noout',
      ]);
      assert.notEqual(bad.code, 0);
    });
  });

  describe('operator listener', () => {
    it('serves HTTPS that curl accepts against the root CA, for every configured host name', {
      skip: skipUnlessCommand('curl'),
    }, async () => {
      for (const host of ['localhost', 'panel.example.test', '127.0.0.1']) {
        const result = await tool('curl', [
          '-sS',
          '--fail',
          '--cacert',
          rootCa,
          '--resolve',
          `panel.example.test:${operatorPort}:127.0.0.1`,
          `https://${host}:${operatorPort}/readyz`,
        ]);
        assert.equal(result.code, 0, `${host}: ${result.stderr}`);
        assert.deepEqual(JSON.parse(result.stdout), { status: 'ready' });
      }
    });

    it('logs every request with its request ID and echoes a caller-supplied one', async () => {
      const response = await t.inject('GET', '/healthz', { headers: { 'x-request-id': 'trace-1234-abcd' } });
      assert.equal(response.headers['x-request-id'], 'trace-1234-abcd');
      assert.ok(t.logs.records().some((r) => r.reqId === 'trace-1234-abcd'));
      const forged = await t.inject('GET', '/healthz', { headers: { 'x-request-id': 'bad\nid' } });
      assert.match(String(forged.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });
  });

  describe('device listener (mutual TLS)', () => {
    it('refuses a certificate from the panel CA that the device registry never issued (curl)', {
      skip: skipUnlessCommand('curl'),
    }, async () => {
      const { cert, key } = await deviceCredentials('device-0001');
      const result = await tool('curl', [
        '-sS',
        '-w',
        '\\n%{http_code}',
        '--cacert',
        rootCa,
        '--cert',
        cert,
        '--key',
        key,
        `https://localhost:${devicePort}/v1/ping`,
      ]);
      const [body, status] = result.stdout.split('\n');
      assert.equal(status, '401');
      assert.equal(JSON.parse(body ?? '').code, 'DEVICE_CERTIFICATE_REFUSED');
    });

    it('answers 401 problem+json without a client certificate (curl)', {
      skip: skipUnlessCommand('curl'),
    }, async () => {
      const result = await tool('curl', [
        '-sS',
        '-w',
        '\\n%{http_code} %{content_type}',
        '--cacert',
        rootCa,
        `https://localhost:${devicePort}/v1/ping`,
      ]);
      const [body, status] = result.stdout.split('\n');
      assert.equal(status, '401 application/problem+json; charset=utf-8');
      assert.equal(JSON.parse(body ?? '').code, 'CLIENT_CERTIFICATE_REQUIRED');
    });

    it('refuses a client certificate from a CA the panel does not trust', {
      skip: skipUnlessCommand('curl'),
    }, async () => {
      const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const foreignRoot = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=Foreign CA',
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
        ],
      });
      const foreign = {
        certificate: foreignRoot,
        certificatePem: foreignRoot.toString('pem'),
        privateKey: keys.privateKey,
        crypto: webcrypto,
      };
      const { cert, key } = await deviceCredentials('impostor', foreign);
      const result = await tool('curl', [
        '-sS',
        '-w',
        '\\n%{http_code}',
        '--cacert',
        rootCa,
        '--cert',
        cert,
        '--key',
        key,
        `https://localhost:${devicePort}/v1/ping`,
      ]);
      assert.equal(result.stdout.split('\n')[1], '401');
    });

    it('prefers the hybrid post-quantum group X25519MLKEM768 on TLS 1.3', async () => {
      assert.ok(DEVICE_TLS_GROUPS.startsWith('X25519MLKEM768:'));
      const group = await new Promise<string | undefined>((resolve, reject) => {
        const socket = tls.connect(
          {
            host: '127.0.0.1',
            servername: 'localhost',
            port: devicePort,
            ca: t.panel.services.ca.root.certificatePem,
            ecdhCurve: 'X25519MLKEM768:X25519',
          },
          () => {
            resolve(
              `${socket.getProtocol()} ${socket.getEphemeralKeyInfo() && (socket.getEphemeralKeyInfo() as { name?: string }).name}`,
            );
            socket.end();
          },
        );
        socket.on('error', reject);
      });
      assert.equal(group, 'TLSv1.3 X25519MLKEM768');
    });

    it('accepts TLS 1.2 for older clients and refuses TLS 1.1 (openssl s_client)', {
      skip: skipUnlessCommand('openssl', ['version']),
    }, async () => {
      const v12 = await tool(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${devicePort}`,
          '-tls1_2',
          '-CAfile',
          rootCa,
          '-servername',
          'localhost',
        ],
        'Q\n',
      );
      assert.match(v12.stdout, /Protocol\s*:\s*TLSv1\.2/);
      assert.match(v12.stdout, /Verify return code: 0 \(ok\)/);
      const v11 = await tool(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${devicePort}`, '-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'],
        'Q\n',
      );
      assert.notEqual(v11.code, 0);
      assert.match(v11.stderr + v11.stdout, /alert protocol version|unsupported protocol/i);
    });
  });
});

describe('panel without the plain-HTTP listener', () => {
  it('opens no HTTP port, still serves the CRL on the device listener, and names --revocation-url in certificates', async () => {
    await using t = await startTestPanel({ httpListener: false, revocationBaseUrl: 'http://pki.example' });
    assert.equal(t.panel.facts.httpUrl, undefined);
    const crl = await t.panel.deviceApp.inject({ method: 'GET', url: '/crl/issuing.crl' });
    assert.equal(crl.statusCode, 200);
    assert.equal(crl.headers['content-type'], 'application/pkix-crl');
    const admin = await t.adminToken();
    await t.inject('POST', '/v1/devices', { token: admin, body: { id: 'no-http' } });
    const { token } = (
      await t.inject('POST', '/v1/devices/no-http/enrollment-token', { token: admin, body: {} })
    ).json();
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=no-http',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const issued = await t.panel.services.est.enroll(
      {
        label: undefined,
        csrDer: new Uint8Array(csr.rawData),
        channelBinding: undefined,
        source: '127.0.0.1',
      },
      { kind: 'token', token },
      'simpleenroll',
    );
    assert.equal(issued.kind, 'issued');
    const certificate = (await t.panel.services.devices.certificates('no-http'))[0]?.certificatePem ?? '';
    const parsed = new x509.X509Certificate(certificate);
    assert.deepEqual(
      parsed
        .getExtension(x509.CRLDistributionPointsExtension)
        ?.distributionPoints[0]?.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier?.startsWith(
          'http://pki.example/crl/issuing-',
        ),
      true,
    );
  });
});
