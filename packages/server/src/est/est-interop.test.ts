import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { EstBench, problem, run, serialOf } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

/** Subject lines of the certificates `openssl pkcs7 -print_certs` finds. */
function subjects(printed: string): string[] {
  return [...printed.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]?.trim() ?? '');
}

describe('EST (RFC 7030) with curl and openssl', { skip: tools }, () => {
  let b: EstBench;

  before(async () => {
    b = await EstBench.start();
  });
  after(async () => {
    await b.close();
  });

  describe('cacerts', () => {
    it('answers certs-only PKCS#7 with the issuing CA and the root, without a client certificate', async () => {
      const answer = await b.curl('cacerts');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/pkcs7-mime; smime-type=certs-only');
      // One line of base64 (RFC 4648 §3.1): strongSwan's decoder does not skip line breaks.
      assert.match(answer.body, /^[A-Za-z0-9+/]+={0,2}$/);
      const printed = await run(
        'sh',
        ['-c', 'openssl base64 -d -A | openssl pkcs7 -inform DER -print_certs -noout'],
        answer.body,
      );
      const names = subjects(printed);
      assert.equal(names.length, 2, printed);
      assert.ok(
        names.some((s) => /Issuing CA/i.test(s)),
        printed,
      );
      assert.ok(
        names.some((s) => /Root CA/i.test(s)),
        printed,
      );
    });
  });

  describe('csrattrs', () => {
    it('asks for challengePassword, an EC P-256 key and ECDSA with SHA-256 (openssl asn1parse)', async () => {
      const answer = await b.curl('csrattrs');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/csrattrs');
      const der = b.file('csrattrs.der');
      await run('openssl', ['base64', '-d', '-A', '-out', der], answer.body);
      const parsed = await run('openssl', ['asn1parse', '-inform', 'DER', '-in', der]);
      for (const name of ['challengePassword', 'id-ecPublicKey', 'prime256v1', 'ecdsa-with-SHA256'])
        assert.match(parsed, new RegExp(`OBJECT\\s*:${name}`), parsed);
    });
  });

  describe('simpleenroll with an enrollment token', () => {
    it('issues a certificate that openssl verifies, with the LDevID profile, for HTTP Basic', async () => {
      const token = await b.device('gw-basic');
      const key = await b.key('gw-basic');
      const csr = await b.csr(key, '/CN=gw-basic');
      const answer = await b.curl('simpleenroll', { bodyFile: csr.base64, basic: `gw-basic:${token}` });
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers['content-type'], 'application/pkcs7-mime; smime-type=certs-only');
      const cert = await b.certificateFrom(answer, 'gw-basic');

      const verified = await run('openssl', ['verify', '-CAfile', b.rootCa, '-untrusted', b.issuingCa, cert]);
      assert.match(verified, /: OK$/m);
      const text = await run('openssl', ['x509', '-in', cert, '-noout', '-text']);
      assert.match(text, /Subject: CN\s*=\s*gw-basic$/m);
      assert.match(text, /X509v3 Subject Alternative Name:\s*\n\s*URI:urn:palisade:device:gw-basic/);
      assert.match(text, /X509v3 Extended Key Usage:\s*\n\s*TLS Web Client Authentication\s*$/m);
      assert.match(text, /X509v3 Key Usage: critical\s*\n\s*Digital Signature\s*$/m);
      assert.match(text, /OCSP - URI:http:\/\/[^\s]+\/ocsp/);
      assert.match(text, /CA Issuers - URI:http:\/\/[^\s]+\/ca\/issuing[^\s]*\.crt/);
      assert.match(
        text,
        /X509v3 CRL Distribution Points:[\s\S]*URI:http:\/\/[^\s]+\/crl\/issuing[^\s]*\.crl/,
      );
      assert.match(text, /CA:FALSE/);

      // The certificate holds the key of the CSR: the device can use it at once.
      const ping = await b.curlPath('/v1/ping', { cert, key });
      assert.equal(ping.status, 200, ping.body);
      assert.equal((JSON.parse(ping.body) as { deviceId: string }).deviceId, 'gw-basic');
    });

    it('accepts the token as a Bearer credential and a single-line base64 CSR (RFC 8951)', async () => {
      const token = await b.device('gw-bearer');
      const key = await b.key('gw-bearer', 'ed25519');
      const csr = await b.csr(key, '/CN=gw-bearer', { oneLine: true });
      const answer = await b.curl('simpleenroll', { bodyFile: csr.base64, bearer: token });
      const cert = await b.certificateFrom(answer, 'gw-bearer');
      const ping = await b.curlPath('/v1/ping', { cert, key });
      assert.deepEqual(JSON.parse(ping.body).deviceId, 'gw-bearer');
    });

    it('accepts base64 wrapped at 64 columns with CRLF line breaks (RFC 8951)', async () => {
      const token = await b.device('gw-crlf');
      const key = await b.key('gw-crlf');
      const csr = await b.csr(key, '/CN=gw-crlf', { oneLine: true });
      const flat = (await run('cat', [csr.base64])).trim();
      const wrapped = await b.write('gw-crlf.b64', `${flat.match(/.{1,64}/g)?.join('\r\n')}\r\n`);
      const answer = await b.curl('simpleenroll', { bodyFile: wrapped, basic: `gw-crlf:${token}` });
      assert.equal(answer.status, 200, answer.body);
    });

    it('serves the EST label of the device group (/.well-known/est/<group>/simpleenroll)', async () => {
      await b.group('plant-a', { targetLevel: 'SLB' });
      const token = await b.device('gw-labelled', 'plant-a');
      const key = await b.key('gw-labelled');
      const csr = await b.csr(key, '/CN=gw-labelled');
      const answer = await b.curl('simpleenroll', {
        bodyFile: csr.base64,
        basic: `gw-labelled:${token}`,
        label: 'plant-a',
      });
      assert.equal(answer.status, 200, answer.body);
    });
  });

  describe('simplereenroll', () => {
    let device: { cert: string; key: string; serial: string };
    before(async () => {
      device = await b.enrolled('gw-renew');
    });

    it('renews with the current certificate and a new key, same subject: a new serial', async () => {
      const newKey = await b.key('gw-renew-next');
      const csr = await b.csr(newKey, '/CN=gw-renew');
      const answer = await b.curl('simplereenroll', {
        bodyFile: csr.base64,
        cert: device.cert,
        key: device.key,
      });
      const renewed = await b.certificateFrom(answer, 'gw-renew-next');
      const serial = await serialOf(renewed);
      assert.notEqual(serial, device.serial);
      const text = await run('openssl', ['x509', '-in', renewed, '-noout', '-subject']);
      assert.match(text, /CN\s*=\s*gw-renew/);
      const ping = await b.curlPath('/v1/ping', { cert: renewed, key: newKey });
      assert.equal(JSON.parse(ping.body).serial, serial);
      const issuedVia = await b.t.panel.services.db.query<{ issued_via: string }>(
        'SELECT issued_via FROM device_certificates WHERE serial = $1',
        [serial],
      );
      assert.equal(issuedVia.rows[0]?.issued_via, 'simplereenroll');
    });

    it('refuses a changed subject with 403 IDENTITY_MISMATCH and issues nothing', async () => {
      const before = await b.certificateCount();
      for (const subject of ['/CN=gw-renew/O=Elsewhere', '/CN=gw-other']) {
        const csr = await b.csr(await b.key('gw-renew-moved'), subject);
        const answer = await b.curl('simplereenroll', {
          bodyFile: csr.base64,
          cert: device.cert,
          key: device.key,
        });
        assert.equal(answer.status, 403, subject);
        assert.equal(problem(answer).code, 'IDENTITY_MISMATCH');
      }
      assert.equal(await b.certificateCount(), before);
    });

    it('refuses a caller without a client certificate (401), even with a valid token', async () => {
      const token = await b.token('gw-renew');
      const csr = await b.csr(await b.key('gw-renew-anon'), '/CN=gw-renew');
      const answer = await b.curl('simplereenroll', { bodyFile: csr.base64, basic: `gw-renew:${token}` });
      assert.equal(answer.status, 401);
      assert.equal(problem(answer).code, 'DEVICE_CERTIFICATE_REQUIRED');
    });

    it('refuses the certificate once the device is revoked (401)', async () => {
      const victim = await b.enrolled('gw-renew-revoked');
      await b.api('POST', '/v1/devices/gw-renew-revoked/revoke', { reason: 'superseded' }, 200);
      const csr = await b.csr(await b.key('gw-renew-revoked-next'), '/CN=gw-renew-revoked');
      const before = await b.certificateCount();
      const answer = await b.curl('simplereenroll', {
        bodyFile: csr.base64,
        cert: victim.cert,
        key: victim.key,
      });
      assert.equal(answer.status, 401);
      assert.equal(problem(answer).code, 'DEVICE_CERTIFICATE_REFUSED');
      assert.equal(await b.certificateCount(), before);
    });
  });

  describe('serverkeygen', () => {
    it('answers multipart/mixed: a PKCS#8 key and the certificate for that key', async () => {
      const token = await b.device('gw-keygen');
      const csr = await b.csr(await b.key('gw-keygen-placeholder'), '/CN=gw-keygen');
      const answer = await b.curl('serverkeygen', { bodyFile: csr.base64, basic: `gw-keygen:${token}` });
      assert.equal(answer.status, 200, answer.body);
      const boundary = /^multipart\/mixed; boundary=(.+)$/.exec(answer.headers['content-type'] ?? '')?.[1];
      assert.ok(boundary, answer.headers['content-type']);
      const parts = answer.body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => {
          const [head = '', body = ''] = part.replace(/^\r\n/, '').split('\r\n\r\n');
          return { type: /Content-Type: (.*)/i.exec(head)?.[1]?.trim(), body: body.trim() };
        });
      assert.deepEqual(
        parts.map((p) => p.type),
        ['application/pkcs8', 'application/pkcs7-mime; smime-type=certs-only'],
      );
      const keyDer = b.file('keygen.p8.der');
      await run('openssl', ['base64', '-d', '-A', '-out', keyDer], `${parts[0]?.body}\n`);
      const key = b.file('keygen.key.pem');
      await run('openssl', ['pkey', '-inform', 'DER', '-in', keyDer, '-out', key]);
      const cert = await b.certificateFrom(
        { status: 200, headers: {}, body: `${parts[1]?.body}\n` },
        'gw-keygen',
      );
      const fromKey = await run('openssl', ['pkey', '-in', key, '-pubout']);
      const fromCert = await run('openssl', ['x509', '-in', cert, '-noout', '-pubkey']);
      assert.equal(fromKey, fromCert);
      const ping = await b.curlPath('/v1/ping', { cert, key });
      assert.equal(JSON.parse(ping.body).deviceId, 'gw-keygen');
    });
  });
});
