import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { EstBench, type EstCall, type HttpAnswer, problem, run, tool } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

describe('EST refuses bad input: right status and code, nothing issued, the refusal recorded', {
  skip: tools,
}, () => {
  let b: EstBench;
  // A movable clock for the panel, to let a token expire.
  let offsetMs = 0;
  let goodKey: string;
  // Each test gets its own device and token, so that one test's failure cannot spend another's token.
  let id = '';
  let token = '';
  let devices = 0;

  before(async () => {
    b = await EstBench.start({}, { now: () => new Date(Date.now() + offsetMs) });
    await b.group('slb', { targetLevel: 'SLB' });
    await b.group('sle', { targetLevel: 'SLE' });
    goodKey = await b.key('bad');
  });
  beforeEach(async () => {
    devices += 1;
    id = `bad-${devices}`;
    token = await b.device(id);
  });
  after(async () => {
    await b.close();
  });

  /**
   * Sends, then checks the refusal: status and problem code, no certificate
   * stored, a security-event log line for the request, and (for refusals the
   * EST service decides) an audit entry with the code.
   */
  async function refused(
    send: () => Promise<HttpAnswer>,
    status: number,
    expected: string | RegExp,
    options: { audited?: boolean } = {},
  ): Promise<HttpAnswer> {
    const certificates = await b.certificateCount();
    const since = await b.auditHead();
    const answer = await send();
    assert.equal(answer.status, status, answer.body);
    const { code } = problem(answer);
    if (typeof expected === 'string') assert.equal(code, expected);
    else assert.match(code, expected);
    assert.equal(await b.certificateCount(), certificates, 'a certificate was stored');
    const event = b.securityEvent(answer.headers['x-request-id']);
    assert.equal(event?.code, code, 'no security-event log line for the request');
    if (options.audited)
      assert.ok((await b.auditedCodes(since)).includes(code), `no audit entry with ${code}`);
    return answer;
  }

  const asDevice = (call: EstCall = {}): EstCall => ({ basic: `${id}:${token}`, ...call });

  async function csrFile(key: string, subject?: string, extra: readonly string[] = []): Promise<string> {
    return (await b.csr(key, subject ?? `/CN=${id}`, { extra })).base64;
  }

  describe('encoding and framing', () => {
    it('refuses a body that is not base64: 400 EST_BASE64_INVALID', async () => {
      for (const body of ['not base64 at all!', 'MIIB*AAA', '====', 'A']) {
        const file = await b.write('not-base64.txt', body);
        await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: file })), 400, 'EST_BASE64_INVALID');
      }
    });

    it('refuses base64 of bytes that are not DER: 400 CSR_MALFORMED', async () => {
      const file = await b.write(
        'garbage.b64',
        Buffer.from('definitely not a certification request').toString('base64'),
      );
      await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: file })), 400, 'CSR_MALFORMED', {
        audited: true,
      });
    });

    it('refuses a body over 64 KiB: 413 BODY_TOO_LARGE', async () => {
      const file = await b.write('huge.b64', 'A'.repeat(64 * 1024 + 4));
      await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: file })), 413, 'BODY_TOO_LARGE');
    });

    it('refuses any content type but application/pkcs10: 415', async () => {
      const csr = await csrFile(goodKey);
      const json = await b.write(
        'csr.json',
        JSON.stringify((await readFile(csr, 'utf8')).replace(/\n/g, '')),
      );
      const cases: Array<[string, string]> = [
        [csr, 'text/plain'],
        [csr, 'application/octet-stream'],
        [csr, 'application/x-www-form-urlencoded'],
        // A JSON string holding a valid base64 CSR is still not an EST request.
        [json, 'application/json'],
      ];
      for (const [file, contentType] of cases) {
        await refused(
          () => b.curl('simpleenroll', asDevice({ bodyFile: file, contentType })),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      }
    });

    it('answers a wrong method with 405 and Allow, an unknown operation with 404', async () => {
      const get = await refused(() => b.curl('simpleenroll', { method: 'GET' }), 405, 'METHOD_NOT_ALLOWED');
      assert.equal(get.headers.allow, 'POST');
      const put = await refused(() => b.curl('simplereenroll', { method: 'PUT' }), 405, 'METHOD_NOT_ALLOWED');
      assert.equal(put.headers.allow, 'POST');
      const csr = await csrFile(goodKey);
      const post = await refused(() => b.curl('cacerts', { bodyFile: csr }), 405, 'METHOD_NOT_ALLOWED');
      assert.equal(post.headers.allow, 'GET');
      for (const operation of ['fullcmc', 'simpleenrol', 'enroll'])
        await refused(() => b.curl(operation, asDevice({ bodyFile: csr })), 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('the CSR', () => {
    it('refuses a CSR whose self-signature was tampered with: 400 CSR_SIGNATURE_INVALID', async () => {
      const { der } = await b.csr(goodKey, `/CN=${id}`);
      const bytes = await readFile(der);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
      const file = await b.write('tampered.b64', bytes.toString('base64'));
      await refused(
        () => b.curl('simpleenroll', asDevice({ bodyFile: file })),
        400,
        'CSR_SIGNATURE_INVALID',
        {
          audited: true,
        },
      );
    });

    it('refuses a valid signature in a non-DER envelope (ECDSA checked as OpenSSL checks it): 400', async () => {
      const { der } = await b.csr(goodKey, `/CN=${id}`);
      const original = await readFile(der);
      // The signature BIT STRING is the last element: 03 <len> 00 30 … (P-256 signatures are short).
      const at = original.findLastIndex(
        (byte, i) => byte === 0x03 && original[i + 1] === original.length - i - 2,
      );
      assert.ok(at > 0 && original[at + 2] === 0x00 && original[at + 3] === 0x30);
      const withByte = (offset: number, value: number) => {
        const bytes = Buffer.from(original);
        bytes[offset] = value;
        return bytes;
      };
      assert.equal(original[1], 0x81, 'expected a CSR between 128 and 255 bytes');
      // [what, bytes, the code, whether OpenSSL refuses it too (it lets a long-form length through)]
      const variants: Array<[string, Buffer, string, boolean]> = [
        ['BIT STRING with unused bits', withByte(at + 2, 0x01), 'CSR_MALFORMED', true],
        [
          'outer length in a longer form than needed',
          Buffer.concat([Buffer.from([0x30, 0x82, 0x00]), original.subarray(2)]),
          'CSR_MALFORMED',
          false,
        ],
        ['Ecdsa-Sig-Value under another tag', withByte(at + 3, 0xbb), 'CSR_SIGNATURE_INVALID', true],
      ];
      for (const [name, bytes, code, opensslRefuses] of variants) {
        const file = await b.write('mangled.der', bytes);
        const openssl = await tool('openssl', ['req', '-inform', 'DER', '-in', file, '-noout', '-verify']);
        if (opensslRefuses) assert.notEqual(openssl.code, 0, `openssl accepted the ${name}`);
        const body = await b.write('mangled.b64', bytes.toString('base64'));
        await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: body })), 400, code, {
          audited: true,
        });
      }
    });

    it('refuses an RSA-1024 key: 403 CSR_KEY_WEAK', async () => {
      const csr = await csrFile(await b.key('rsa1024', 'rsa:1024'));
      await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: csr })), 403, 'CSR_KEY_WEAK', {
        audited: true,
      });
    });

    it('accepts RSA-2048 for an SLB group and refuses it for an SLE group', async () => {
      const rsa2048 = await b.key('rsa2048', 'rsa:2048');
      const sleToken = await b.device('bad-sle', 'sle');
      const forSle = await csrFile(rsa2048, '/CN=bad-sle');
      await refused(
        () => b.curl('simpleenroll', { bodyFile: forSle, basic: `bad-sle:${sleToken}` }),
        403,
        'CSR_KEY_WEAK',
        { audited: true },
      );
      const slbToken = await b.device('bad-slb', 'slb');
      const forSlb = await csrFile(rsa2048, '/CN=bad-slb');
      const accepted = await b.curl('simpleenroll', { bodyFile: forSlb, basic: `bad-slb:${slbToken}` });
      assert.equal(accepted.status, 200, accepted.body);
    });

    it('refuses a SHA-1 signed CSR (openssl req -sha1): 403 CSR_SIGNATURE_HASH_WEAK', async () => {
      const csr = await csrFile(goodKey, undefined, ['-sha1']);
      await refused(
        () => b.curl('simpleenroll', asDevice({ bodyFile: csr })),
        403,
        'CSR_SIGNATURE_HASH_WEAK',
        {
          audited: true,
        },
      );
    });

    it("refuses a CSR that names another device (CN or SAN URI), or another group's label: 403 IDENTITY_MISMATCH", async () => {
      await b.device('bad-victim');
      const byName = await csrFile(goodKey, '/CN=bad-victim');
      await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: byName })), 403, 'IDENTITY_MISMATCH', {
        audited: true,
      });
      const byUri = await csrFile(goodKey, undefined, [
        '-addext',
        'subjectAltName=URI:urn:palisade:device:bad-victim',
      ]);
      await refused(() => b.curl('simpleenroll', asDevice({ bodyFile: byUri })), 403, 'IDENTITY_MISMATCH', {
        audited: true,
      });
      const own = await csrFile(goodKey);
      await refused(
        () => b.curl('simpleenroll', asDevice({ bodyFile: own, label: 'sle' })),
        403,
        'IDENTITY_MISMATCH',
        { audited: true },
      );
    });
  });

  describe('credentials', () => {
    it('refuses a request without any credential: 401', async () => {
      const csr = await csrFile(goodKey);
      await refused(() => b.curl('simpleenroll', { bodyFile: csr }), 401, 'ENROLLMENT_UNAUTHENTICATED', {
        audited: true,
      });
    });

    it('refuses a token that was already used: 401', async () => {
      const once = await b.device('bad-reuse');
      const key = await b.key('bad-reuse');
      const first = await b.curl('simpleenroll', {
        bodyFile: await csrFile(key, '/CN=bad-reuse'),
        basic: `bad-reuse:${once}`,
      });
      assert.equal(first.status, 200, first.body);
      const again = await csrFile(await b.key('bad-reuse-2'), '/CN=bad-reuse');
      await refused(
        () => b.curl('simpleenroll', { bodyFile: again, basic: `bad-reuse:${once}` }),
        401,
        'ENROLLMENT_UNAUTHENTICATED',
        { audited: true },
      );
      await refused(
        () => b.curl('simpleenroll', { bodyFile: again, bearer: once }),
        401,
        'ENROLLMENT_UNAUTHENTICATED',
        { audited: true },
      );
    });

    it('refuses an expired token: 401', async () => {
      const shortLived = await b.register('bad-expired').then(() => b.token('bad-expired', 60));
      const csr = await csrFile(await b.key('bad-expired'), '/CN=bad-expired');
      offsetMs = 61_000;
      try {
        await refused(
          () => b.curl('simpleenroll', { bodyFile: csr, basic: `bad-expired:${shortLived}` }),
          401,
          'ENROLLMENT_UNAUTHENTICATED',
          { audited: true },
        );
      } finally {
        offsetMs = 0;
      }
      // The same token a minute earlier would have worked: it is the clock that refused it.
      assert.equal(
        (await b.curl('simpleenroll', { bodyFile: csr, basic: `bad-expired:${shortLived}` })).status,
        200,
      );
    });

    it("refuses device A's token presented as device B: 401", async () => {
      const tokenA = await b.device('bad-a');
      await b.device('bad-b');
      const csr = await csrFile(await b.key('bad-b'), '/CN=bad-b');
      await refused(
        () => b.curl('simpleenroll', { bodyFile: csr, basic: `bad-b:${tokenA}` }),
        401,
        'ENROLLMENT_UNAUTHENTICATED',
        { audited: true },
      );
    });

    it('locks the device out after 5 failed token attempts: 429 ENROLLMENT_LOCKED with Retry-After', async () => {
      const real = await b.device('bad-lock');
      const csr = await csrFile(await b.key('bad-lock'), '/CN=bad-lock');
      const wrong = `pls_enr_${real.split('_')[2]}_${'0'.repeat(64)}`;
      for (let attempt = 1; attempt <= 5; attempt++) {
        await refused(
          () => b.curl('simpleenroll', { bodyFile: csr, basic: `bad-lock:${attempt % 2 ? wrong : 'guess'}` }),
          401,
          'ENROLLMENT_UNAUTHENTICATED',
        );
      }
      // Now even the right token is refused until the lockout ends.
      const locked = await refused(
        () => b.curl('simpleenroll', { bodyFile: csr, basic: `bad-lock:${real}` }),
        429,
        'ENROLLMENT_LOCKED',
        { audited: true },
      );
      assert.match(locked.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
    });

    it('refuses a decommissioned device: its unused token and its certificate no longer work', async () => {
      const device = await b.enrolled('bad-retired');
      const unused = await b.token('bad-retired');
      await b.api('POST', '/v1/devices/bad-retired/decommission', undefined, 200);
      const csr = await csrFile(await b.key('bad-retired-2'), '/CN=bad-retired');
      await refused(
        () => b.curl('simpleenroll', { bodyFile: csr, basic: `bad-retired:${unused}` }),
        401,
        'ENROLLMENT_UNAUTHENTICATED',
        { audited: true },
      );
      await refused(
        () => b.curl('simplereenroll', { bodyFile: csr, cert: device.cert, key: device.key }),
        401,
        'DEVICE_CERTIFICATE_REFUSED',
        { audited: true },
      );
      // No new token for it either (the IDevID path answers 403 DEVICE_NOT_ENROLLABLE: est-idevid.test.ts).
      await b.api('POST', '/v1/devices/bad-retired/enrollment-token', {}, 409);
      assert.match(await run('openssl', ['x509', '-in', device.cert, '-noout', '-subject']), /bad-retired/);
    });
  });
});
