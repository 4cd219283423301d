import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openTestDatabase, postgresUrl, skipUnlessCommand, TEST_KEY_PASSPHRASE } from '@palisade/testkit';
import { rotateIssuingCaOffline } from '../panel/index.ts';
import type { RotatedIssuingCa } from '../pki/index.ts';
import { EstBench, problem, run, serialOf, tool } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

/**
 * `palisade ca rotate-issuing` between two starts of one panel (same data
 * directory and database, as in production), seen by curl and openssl.
 */
describe('issuing CA rotation, through a restarted panel', { skip: tools }, () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openTestDatabase>> | undefined;
  let b: EstBench;
  let rotated: RotatedIssuingCa;
  let oldIssuing: string;
  let newIssuing: string;
  let oldDevice: { cert: string; key: string; serial: string };
  let oldBystander: { cert: string; key: string; serial: string };
  let oldRenewing: { cert: string; key: string; serial: string };
  const afterAll: Array<() => Promise<void>> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-rotation-'));
    // The panel opens its database itself: PGlite on disk in the data directory, or a fresh PostgreSQL database.
    database = postgresUrl() ? await openTestDatabase() : undefined;
    const persist = { dataDir: join(dir, 'data'), databaseUrl: database?.url };
    const first = await EstBench.start({}, { persist });
    oldDevice = await first.enrolled('old-gw');
    oldBystander = await first.enrolled('old-bystander');
    oldRenewing = await first.enrolled('old-renewing');
    // As if issued before issuers were recorded (migration 0005): the rotation must attribute them.
    await first.t.panel.services.db.query(
      'UPDATE device_certificates SET issuer_serial = NULL WHERE serial = $1 OR serial = $2',
      [oldDevice.serial, oldBystander.serial],
    );
    oldIssuing = join(dir, 'old-issuing.pem');
    await copyFile(first.issuingCa, oldIssuing);
    await first.t[Symbol.asyncDispose](); // stops the panel; its scratch files stay until after()
    afterAll.push(() => first.close());

    rotated = await rotateIssuingCaOffline({
      dataDir: persist.dataDir,
      databaseUrl: persist.databaseUrl,
      caKeyStore: 'file',
      keyPassphrase: TEST_KEY_PASSPHRASE,
    });
    b = await EstBench.start({}, { persist });
    afterAll.push(() => b.close());
    newIssuing = b.file('new-issuing.pem');
    const der = b.file('new-issuing.der');
    await run('curl', ['-sS', '--fail', '-o', der, `http://127.0.0.1:${b.httpPort}/ca/issuing.crt`]);
    await run('openssl', ['x509', '-inform', 'DER', '-in', der, '-out', newIssuing]);
  });
  after(async () => {
    for (const step of afterAll.reverse()) await step();
    await database?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  const verify = (cert: string, untrusted: string) =>
    tool('openssl', ['verify', '-CAfile', b.rootCa, '-untrusted', untrusted, cert]);
  const ocsp = (cert: string, issuer: string) =>
    tool('openssl', [
      'ocsp',
      '-url',
      `http://127.0.0.1:${b.httpPort}/ocsp`,
      '-issuer',
      issuer,
      '-cert',
      cert,
      '-CAfile',
      b.rootCa,
    ]);
  async function crlText(path: string, issuer: string): Promise<string> {
    const der = b.file('issuer.crl');
    await run('curl', ['-sS', '--fail', '-o', der, `http://127.0.0.1:${b.httpPort}${path}`]);
    const bundle = b.file('crl-ca.pem');
    await run('sh', ['-c', `cat "$1" "$2" > "$3"`, 'sh', b.rootCa, issuer, bundle]);
    // -CAfile: openssl checks the CRL's signature against its issuer.
    const checked = await tool('openssl', ['crl', '-inform', 'DER', '-in', der, '-CAfile', bundle, '-noout']);
    assert.match(checked.stdout + checked.stderr, /verify OK/);
    return run('openssl', ['crl', '-inform', 'DER', '-in', der, '-noout', '-text']);
  }

  it('serves the new issuing CA as the current one; the data directory names it too', async () => {
    const serial = await serialOf(newIssuing);
    assert.equal(serial, rotated.serial);
    assert.notEqual(serial, rotated.previous.serial);
    assert.equal(await serialOf(b.issuingCa), rotated.serial);
    assert.equal(
      (await verify(newIssuing, newIssuing)).code,
      0,
      'the new issuing CA chains to the same root',
    );
  });

  it('(a) lets a device with a certificate from the previous issuing CA ping over mutual TLS', async () => {
    const ping = await b.curlPath('/v1/ping', oldDevice);
    assert.equal(ping.status, 200, ping.body);
    assert.deepEqual(JSON.parse(ping.body), { deviceId: 'old-gw', serial: oldDevice.serial });
  });

  it('(b) issues new enrollments from the new CA: openssl verify accepts them with the new issuing CA only', async () => {
    const device = await b.enrolled('new-gw');
    const accepted = await verify(device.cert, newIssuing);
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.notEqual((await verify(device.cert, oldIssuing)).code, 0);
    const cdp = await run('openssl', ['x509', '-in', device.cert, '-noout', '-ext', 'crlDistributionPoints']);
    assert.match(cdp, new RegExp(`/crl/issuing-${rotated.serial}\\.crl`));
    assert.equal((await b.curlPath('/v1/ping', device)).status, 200);
  });

  it('re-enrolls a certificate of the previous issuing CA into one of the new CA', async () => {
    const csr = await b.csr(await b.key('old-renewing-next'), '/CN=old-renewing');
    const answer = await b.curl('simplereenroll', {
      bodyFile: csr.base64,
      cert: oldRenewing.cert,
      key: oldRenewing.key,
    });
    const renewed = await b.certificateFrom(answer, 'old-renewing-next');
    assert.equal((await verify(renewed, newIssuing)).code, 0);
    const issuer = await run('openssl', ['x509', '-in', renewed, '-noout', '-issuer']);
    assert.match(issuer, /Palisade Issuing CA 2/);
  });

  it('(c) lists a revoked old-CA certificate in the old issuer’s CRL; OCSP answers for both issuers', async () => {
    const fresh = await b.enrolled('new-ocsp');
    await b.api('POST', '/v1/devices/old-gw/revoke', { reason: 'keyCompromise' }, 200);

    const serialEntry = (serial: string) => new RegExp(`Serial Number: 0*${serial}\\b`, 'i');
    const oldCrl = await crlText(`/crl/issuing-${rotated.previous.serial}.crl`, oldIssuing);
    assert.match(oldCrl, serialEntry(oldDevice.serial));
    assert.match(oldCrl, /Key Compromise/);
    assert.doesNotMatch(oldCrl, serialEntry(oldBystander.serial));
    const newCrl = await crlText('/crl/issuing.crl', newIssuing);
    assert.doesNotMatch(newCrl, serialEntry(oldDevice.serial));
    assert.equal(newCrl, await crlText(`/crl/issuing-${rotated.serial}.crl`, newIssuing));

    const revoked = await ocsp(oldDevice.cert, oldIssuing);
    assert.match(revoked.stderr, /Response verify OK/);
    assert.match(revoked.stdout, new RegExp(`${oldDevice.cert}: revoked`));
    const good = await ocsp(fresh.cert, newIssuing);
    assert.match(good.stderr, /Response verify OK/);
    assert.match(good.stdout, new RegExp(`${fresh.cert}: good`));
    const oldGood = await ocsp(oldBystander.cert, oldIssuing);
    assert.match(oldGood.stdout, new RegExp(`${oldBystander.cert}: good`));
    // Asked under the wrong issuer, a certificate is unknown (RFC 6960 §2.2).
    const wrongIssuer = await ocsp(fresh.cert, oldIssuing);
    assert.match(wrongIssuer.stdout, new RegExp(`${fresh.cert}: unknown`));

    const refused = await b.curlPath('/v1/ping', oldDevice);
    assert.equal(refused.status, 401);
    assert.equal(problem(refused).code, 'DEVICE_CERTIFICATE_REFUSED');
  });

  it('serves each issuing CA certificate under its serial', async () => {
    for (const [serial, pem] of [
      [rotated.previous.serial, oldIssuing],
      [rotated.serial, newIssuing],
    ] as const) {
      const der = b.file('issuer.der');
      await run('curl', [
        '-sS',
        '--fail',
        '-o',
        der,
        `http://127.0.0.1:${b.httpPort}/ca/issuing-${serial}.crt`,
      ]);
      const fetched = await run('openssl', ['x509', '-inform', 'DER', '-in', der, '-noout', '-fingerprint']);
      assert.equal(fetched, await run('openssl', ['x509', '-in', pem, '-noout', '-fingerprint']));
    }
  });

  it('records the rotation in the audit log and keeps the retired CA with its retirement time', async () => {
    const db = b.t.panel.services.db;
    const audit = await db.query<{ outcome: string; target: string; details: Record<string, unknown> }>(
      "SELECT outcome, target, details FROM audit_log WHERE action = 'ca.rotate-issuing'",
    );
    assert.equal(audit.rows.length, 1);
    assert.equal(audit.rows[0]?.outcome, 'success');
    assert.equal(audit.rows[0]?.target, `ca:issuing-${rotated.serial}`);
    assert.equal(audit.rows[0]?.details.previousSerial, rotated.previous.serial);
    assert.equal(audit.rows[0]?.details.attributedCertificates, 2);
    const material = await db.query<{ name: string; retired: boolean }>(
      'SELECT name, retired_at IS NOT NULL AS retired FROM ca_material ORDER BY name',
    );
    assert.deepEqual(material.rows, [
      { name: 'issuing', retired: false },
      { name: `issuing:${rotated.previous.serial}`, retired: true },
      { name: 'root', retired: false },
    ]);
  });
});
