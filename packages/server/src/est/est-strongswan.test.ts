import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { EstBench, run, serialOf, tool } from './est-test-support.ts';

// strongSwan's `pki --est` has its own TLS stack and base64 decoder: an EST client we share nothing with.
// Debian: strongswan-pki + libstrongswan-extra-plugins.
const tools = skipUnlessCommand('pki', ['--help']) || skipUnlessCommand('openssl', ['version']);

describe('EST with strongSwan pki --est', { skip: tools }, () => {
  let b: EstBench;
  let base: string;

  before(async () => {
    b = await EstBench.start();
    base = `https://127.0.0.1:${b.devicePort}`;
  });
  after(async () => {
    await b.close();
  });

  let made = 0;
  /** An ECDSA P-256 key and a CSR for it, both made by strongSwan. */
  async function strongswanCsr(commonName: string): Promise<{ key: string; csr: string }> {
    made += 1;
    const pem = await run('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']);
    const key = await b.write(`${commonName}-${made}.ss.key`, pem);
    const request = await run('pki', [
      '--req',
      '--in',
      key,
      '--type',
      'ecdsa',
      '--dn',
      `CN=${commonName}`,
      '--outform',
      'pem',
    ]);
    return { key, csr: await b.write(`${commonName}-${made}.ss.csr`, request) };
  }

  function est(args: string[]) {
    return tool('pki', [
      '--est',
      '--url',
      base,
      '--cacert',
      b.rootCa,
      '--cacert',
      b.issuingCa,
      '--outform',
      'pem',
      ...args,
    ]);
  }

  it('enrolls with HTTP Basic (device ID and token) and re-enrolls with the issued certificate', async () => {
    const token = await b.device('ss-gw');
    const first = await strongswanCsr('ss-gw');
    const enrolled = await est(['--in', first.csr, '--userpass', `ss-gw:${token}`]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.match(enrolled.stderr, /Issued certificate is trusted/);
    const cert = await b.write('ss-gw.pem', enrolled.stdout);
    assert.match(
      await run('openssl', ['verify', '-CAfile', b.rootCa, '-untrusted', b.issuingCa, cert]),
      /OK/,
    );
    assert.match(await run('openssl', ['x509', '-in', cert, '-noout', '-subject']), /CN\s*=\s*ss-gw/);
    assert.equal((await b.curlPath('/v1/ping', { cert, key: first.key })).status, 200);

    // simplereenroll: TLS client authentication with the old certificate and key, a new key in the CSR.
    const second = await strongswanCsr('ss-gw');
    const renewed = await est(['--in', second.csr, '--cert', cert, '--key', first.key]);
    assert.equal(renewed.code, 0, renewed.stderr);
    const next = await b.write('ss-gw-next.pem', renewed.stdout);
    assert.notEqual(await serialOf(next), await serialOf(cert));
    assert.equal((await b.curlPath('/v1/ping', { cert: next, key: second.key })).status, 200);
    const via = await b.t.panel.services.db.query<{ issued_via: string }>(
      "SELECT issued_via FROM device_certificates WHERE device_id = 'ss-gw' ORDER BY issued_at",
    );
    assert.deepEqual(
      via.rows.map((r) => r.issued_via),
      ['simpleenroll', 'simplereenroll'],
    );
  });

  it('fails cleanly with a wrong token and issues nothing', async () => {
    await b.device('ss-wrong');
    const { csr } = await strongswanCsr('ss-wrong');
    const before = await b.certificateCount();
    const refused = await est(['--in', csr, '--userpass', 'ss-wrong:not-the-token']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /EST request failed: HTTP 401/);
    assert.equal(await b.certificateCount(), before);
  });

  it("honours the panel's Retry-After while an enrollment waits for approval", async () => {
    await b.group('ss-held', { targetLevel: 'SLB', manualApproval: true });
    const token = await b.device('ss-held-gw', 'ss-held');
    const { csr } = await strongswanCsr('ss-held-gw');
    const child = spawn('pki', [
      '--est',
      '--url',
      base,
      '--cacert',
      b.rootCa,
      '--cacert',
      b.issuingCa,
      '--in',
      csr,
      '--userpass',
      `ss-held-gw:${token}`,
      '--interval',
      '1',
    ]);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          stderr += chunk;
          const match = /EST request pending, polling .*every (\d+) seconds/.exec(stderr);
          if (match) resolve(match[0]);
        });
        child.once('exit', () => reject(new Error(`pki ended without waiting:\n${stderr}`)));
      });
      // Asked for 1 s, strongSwan waits as long as the panel's Retry-After says.
      assert.match(line, /every 60 seconds/);
    } finally {
      child.kill();
    }
  });
});
