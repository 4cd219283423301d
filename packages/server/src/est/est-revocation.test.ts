import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { EstBench, exchange, problem, run, tool } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

describe('revocation of an EST-enrolled device, seen by openssl and curl', { skip: tools }, () => {
  let b: EstBench;
  let httpPort: number;
  let ocspUrl: string;

  before(async () => {
    b = await EstBench.start();
    httpPort = b.httpPort;
    ocspUrl = `http://127.0.0.1:${httpPort}/ocsp`;
  });
  after(async () => {
    await b.close();
  });

  function ocsp(cert: string) {
    return tool('openssl', [
      'ocsp',
      '-url',
      ocspUrl,
      '-issuer',
      b.issuingCa,
      '-cert',
      cert,
      '-CAfile',
      b.rootCa,
    ]);
  }

  it('OCSP says good before and revoked (with the reason) within 1 s of the API call', async () => {
    const device = await b.enrolled('rv-ocsp');
    // The URL the certificate names (AIA) is the listener's.
    const named = (await run('openssl', ['x509', '-in', device.cert, '-noout', '-ocsp_uri'])).trim();
    assert.equal(new URL(named).port, String(httpPort));
    const good = await ocsp(device.cert);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /Response verify OK/);
    assert.match(good.stdout, new RegExp(`${device.cert}: good`));

    const started = Date.now();
    await b.api('POST', '/v1/devices/rv-ocsp/revoke', { reason: 'keyCompromise' }, 200);
    const revoked = await ocsp(device.cert);
    const elapsed = Date.now() - started;
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stderr, /Response verify OK/);
    assert.match(revoked.stdout, new RegExp(`${device.cert}: revoked`));
    assert.match(revoked.stdout, /Reason: keyCompromise/);
    assert.ok(elapsed < 1000, `OCSP answered revoked ${elapsed} ms after the API call`);
  });

  it('the CRL on the plain-HTTP listener lists the serial and reason; openssl verify -crl_check says revoked', async () => {
    const device = await b.enrolled('rv-crl');
    const bystander = await b.enrolled('rv-crl-bystander');
    await b.api('POST', '/v1/devices/rv-crl/revoke', { reason: 'keyCompromise' }, 200);

    const crlDer = b.file('issuing.crl');
    const crlUrl = (
      await run('openssl', ['x509', '-in', device.cert, '-noout', '-ext', 'crlDistributionPoints'])
    ).match(/URI:(\S+)/)?.[1];
    assert.ok(crlUrl);
    assert.equal(new URL(crlUrl).port, String(httpPort));
    const fetched = await run('curl', [
      '-sS',
      '--fail',
      '-o',
      crlDer,
      '-w',
      '%{content_type}',
      `http://127.0.0.1:${httpPort}${new URL(crlUrl).pathname}`,
    ]);
    assert.equal(fetched, 'application/pkix-crl');
    const text = await run('openssl', ['crl', '-inform', 'DER', '-in', crlDer, '-noout', '-text']);
    const entry = new RegExp(
      `Serial Number: 0*${device.serial}\\s*\\n\\s*Revocation Date:.*\\n[\\s\\S]*?Key Compromise`,
      'i',
    );
    assert.match(text, entry);
    assert.doesNotMatch(text, new RegExp(`Serial Number: 0*${bystander.serial}`, 'i'));

    const crlPem = b.file('issuing.crl.pem');
    await run('openssl', ['crl', '-inform', 'DER', '-in', crlDer, '-out', crlPem]);
    const verify = (cert: string) =>
      tool('openssl', [
        'verify',
        '-crl_check',
        '-CRLfile',
        crlPem,
        '-CAfile',
        b.rootCa,
        '-untrusted',
        b.issuingCa,
        cert,
      ]);
    const refused = await verify(device.cert);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /certificate revoked/);
    const accepted = await verify(bystander.cert);
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
  });

  it('serves the issuing CA certificate at the AIA caIssuers URL of the device certificate', async () => {
    const device = await b.enrolled('rv-aia');
    const text = await run('openssl', ['x509', '-in', device.cert, '-noout', '-ext', 'authorityInfoAccess']);
    const caIssuers = /CA Issuers - URI:(\S+)/.exec(text)?.[1];
    assert.ok(caIssuers, text);
    const der = b.file('aia-issuer.der');
    await run('curl', [
      '-sS',
      '--fail',
      '-o',
      der,
      `http://127.0.0.1:${httpPort}${new URL(caIssuers).pathname}`,
    ]);
    const fetched = await run('openssl', [
      'x509',
      '-inform',
      'DER',
      '-in',
      der,
      '-noout',
      '-fingerprint',
      '-sha256',
    ]);
    const local = await run('openssl', ['x509', '-in', b.issuingCa, '-noout', '-fingerprint', '-sha256']);
    assert.equal(fetched, local);
  });

  it('refuses the revoked certificate at the next connection: openssl s_client and curl get 401', async () => {
    const device = await b.enrolled('rv-tls');
    assert.equal((await b.curlPath('/v1/ping', device)).status, 200);
    await b.api('POST', '/v1/devices/rv-tls/revoke', { reason: 'cessationOfOperation' }, 200);

    const curl = await b.curlPath('/v1/ping', device);
    assert.equal(curl.status, 401);
    assert.equal(problem(curl).code, 'DEVICE_CERTIFICATE_REFUSED');

    const sClient = await tool(
      'openssl',
      [
        's_client',
        '-quiet',
        '-ign_eof',
        '-connect',
        `127.0.0.1:${b.devicePort}`,
        '-servername',
        'localhost',
        '-CAfile',
        b.rootCa,
        '-cert',
        device.cert,
        '-key',
        device.key,
      ],
      'GET /v1/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    assert.match(sClient.stdout, /^HTTP\/1\.1 401 /);
    assert.match(sClient.stdout, /"code":"DEVICE_CERTIFICATE_REFUSED"/);
  });

  it('closes a live keep-alive connection made with the certificate when it is revoked', async () => {
    const device = await b.enrolled('rv-live');
    const socket = await b.connect({
      cert: await readFile(device.cert, 'utf8'),
      key: await readFile(device.key, 'utf8'),
    });
    const bystander = await b.enrolled('rv-live-bystander');
    const other = await b.connect({
      cert: await readFile(bystander.cert, 'utf8'),
      key: await readFile(bystander.key, 'utf8'),
    });
    try {
      const first = await exchange(socket, { method: 'GET', path: '/v1/ping' });
      assert.equal(first.status, 200);
      assert.equal(first.headers.connection, 'keep-alive');
      assert.equal((await exchange(other, { method: 'GET', path: '/v1/ping' })).status, 200);

      const closed = once(socket, 'close');
      const started = Date.now();
      await b.api('POST', '/v1/devices/rv-live/revoke', { reason: 'keyCompromise' }, 200);
      await Promise.race([
        closed,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('connection still open after 1 s')), 1000),
        ),
      ]);
      assert.ok(Date.now() - started < 1000);
      // Another device's connection is left alone.
      assert.equal((await exchange(other, { method: 'GET', path: '/v1/ping' })).status, 200);
    } finally {
      socket.destroy();
      other.destroy();
    }
  });
});
