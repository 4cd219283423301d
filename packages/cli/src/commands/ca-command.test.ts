import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { skipUnlessCommand, startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { type CliSandbox, cliSandbox } from '../cli-sandbox.ts';
import { issuedCertificate, makeCsr, problemCode, simpleEnroll } from '../est-test-client.ts';
import { x509 } from '../lab-ca/x509.ts';

const OPENSSL = { skip: skipUnlessCommand('openssl', ['version']) };

/** Runs openssl and returns its exit code and output, without throwing on failure. */
function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

/** `ca manufacturer init` then `ca issue-idevid` in the sandbox's home; fails the test unless both exit 0. */
async function labIdevid(cli: CliSandbox, name: string, serial: string, extra: string[] = []) {
  const caDir = join(cli.home, `ca-${serial}`);
  const deviceDir = join(cli.home, `device-${serial}`);
  const init = await cli.run(['ca', 'manufacturer', 'init', '--name', name, '--out', caDir]);
  assert.equal(init.code, 0, init.err);
  const issue = await cli.run([
    'ca',
    'issue-idevid',
    '--ca-dir',
    caDir,
    '--serial',
    serial,
    '--out',
    deviceDir,
    ...extra,
  ]);
  assert.equal(issue.code, 0, issue.err);
  return {
    caDir,
    deviceDir,
    init,
    issue,
    caPem: join(caDir, 'manufacturer-ca.pem'),
    caKey: join(caDir, 'manufacturer-ca.key'),
    idevidPem: join(deviceDir, 'idevid.pem'),
    idevidKey: join(deviceDir, 'idevid.key'),
    chainPem: join(deviceDir, 'idevid-chain.pem'),
  };
}

describe('palisade ca (offline lab tooling)', () => {
  it('makes a manufacturer CA and an 802.1AR-style IDevID that openssl verifies', OPENSSL, async () => {
    await using cli = await cliSandbox();
    const lab = await labIdevid(cli, 'Acme Devices', 'SN-0001');
    assert.match(
      lab.init.out,
      /^created manufacturer CA CN=Acme Devices IDevID CA, O=Acme Devices \(valid until /,
    );
    assert.match(
      lab.issue.out,
      /^issued IDevID CN=SN-0001, serialNumber=SN-0001, O=Acme Devices \(valid until 9999-12-31T23:59:59\.000Z\)\n/,
    );
    assert.match(
      lab.issue.out,
      /\nClaim the device on a panel: palisade device claim --idevid-serial SN-0001\n$/,
    );

    const verify = await openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslclient',
      '-CAfile',
      lab.caPem,
      lab.idevidPem,
    ]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.stdout.trim(), `${lab.idevidPem}: OK`);

    const ca = (await openssl(['x509', '-in', lab.caPem, '-noout', '-text'])).stdout;
    assert.match(ca, /Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
    assert.match(ca, /Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    assert.match(ca, /ASN1 OID: prime256v1/);
    const caDates = await openssl(['x509', '-in', lab.caPem, '-noout', '-enddate']);
    const caYears =
      (Date.parse(caDates.stdout.trim().split('=')[1] as string) - Date.now()) / (365.25 * 86_400_000);
    assert.ok(caYears > 9.9 && caYears < 10.1, `the CA is valid ${caYears} years`);

    const idevid = (await openssl(['x509', '-in', lab.idevidPem, '-noout', '-text'])).stdout;
    assert.match(idevid, /Subject: CN ?= ?SN-0001, serialNumber ?= ?SN-0001, O ?= ?Acme Devices\n/);
    assert.match(idevid, /Issuer: CN ?= ?Acme Devices IDevID CA, O ?= ?Acme Devices\n/);
    assert.match(idevid, /Extended Key Usage: *\n\s+TLS Web Client Authentication\n/);
    assert.match(idevid, /Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(idevid, /Not After : Dec 31 23:59:59 9999 GMT/);
    // RFC 5280 §4.1.2.5: "no well-defined expiration" is the GeneralizedTime 99991231235959Z.
    const asn1 = (await openssl(['asn1parse', '-in', lab.idevidPem])).stdout;
    assert.match(asn1, /GENERALIZEDTIME\s+:99991231235959Z/);
    const serial = /Serial Number:\s*\n\s+([0-9a-f:]+)\n/.exec(idevid)?.[1]?.replaceAll(':', '') ?? '';
    assert.ok(serial.length >= 31 && serial.length <= 32, `a random 128-bit serial, got ${serial}`);

    for (const key of [lab.caKey, lab.idevidKey]) {
      assert.equal(await modeOf(key), '600', key);
      assert.match(await readFile(key, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
      const parsed = await openssl(['pkey', '-in', key, '-noout', '-text']);
      assert.equal(parsed.code, 0, parsed.stderr);
      assert.match(parsed.stdout, /ASN1 OID: prime256v1/);
    }
    // The key belongs to the certificate.
    const fromKey = await openssl(['pkey', '-in', lab.idevidKey, '-pubout']);
    const fromCert = await openssl(['x509', '-in', lab.idevidPem, '-noout', '-pubkey']);
    assert.equal(fromKey.stdout, fromCert.stdout);

    const chain = await readFile(lab.chainPem, 'utf8');
    assert.equal(chain, (await readFile(lab.idevidPem, 'utf8')) + (await readFile(lab.caPem, 'utf8')));
  });

  it('issues an IDevID with a finite validity when --days is given', async () => {
    await using cli = await cliSandbox();
    const lab = await labIdevid(cli, 'Acme Devices', 'SN-0002', ['--days', '7300', '--json']);
    const facts = JSON.parse(lab.issue.out) as { notAfter: string; subject: string; serialNumber: string };
    const days = (Date.parse(facts.notAfter) - Date.now()) / 86_400_000;
    assert.ok(days > 7299 && days <= 7300, `valid ${days} days`);
    assert.equal(facts.subject, 'CN=SN-0002, serialNumber=SN-0002, O=Acme Devices');
    const certificate = new x509.X509Certificate(await readFile(lab.idevidPem, 'utf8'));
    assert.equal(certificate.serialNumber, facts.serialNumber);
  });

  it('never overwrites a key or certificate, and writes nothing when it refuses', async () => {
    await using cli = await cliSandbox();
    const lab = await labIdevid(cli, 'Acme Devices', 'SN-0003');
    const caBefore = await readFile(lab.caKey, 'utf8');
    const again = await cli.run(['ca', 'manufacturer', 'init', '--name', 'Other', '--out', lab.caDir]);
    assert.equal(again.code, 2);
    assert.match(
      again.err,
      /^palisade: refusing to overwrite .*manufacturer-ca\.pem, .*manufacturer-ca\.key; choose another directory \[FILE_EXISTS\]\n$/,
    );
    assert.equal(await readFile(lab.caKey, 'utf8'), caBefore);

    // Only one of the three IDevID files exists: none is written.
    const partial = join(cli.home, 'partial');
    await cli.run(['ca', 'issue-idevid', '--ca-dir', lab.caDir, '--serial', 'SN-0004', '--out', partial]);
    await writeFile(join(partial, 'idevid-chain.pem'), 'mine\n');
    const idevidBefore = await readFile(join(partial, 'idevid.pem'), 'utf8');
    const refused = await cli.run([
      'ca',
      'issue-idevid',
      '--ca-dir',
      lab.caDir,
      '--serial',
      'SN-0005',
      '--out',
      partial,
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /\[FILE_EXISTS\]\n$/);
    assert.equal(await readFile(join(partial, 'idevid.pem'), 'utf8'), idevidBefore);
    assert.equal(await readFile(join(partial, 'idevid-chain.pem'), 'utf8'), 'mine\n');
  });

  it("refuses a bad serial, name or --days, a missing CA, and a key that is not the CA's", async () => {
    await using cli = await cliSandbox();
    const a = await labIdevid(cli, 'Acme Devices', 'SN-A');
    const b = await labIdevid(cli, 'Bolt Industries', 'SN-B');
    const out = join(cli.home, 'out');
    const cases: Array<[string[], RegExp]> = [
      [
        ['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'SN 1', '--out', out],
        /the serial must be 1 to 64 letters, digits, dots or hyphens.* \[USAGE\]\n$/,
      ],
      [['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'x'.repeat(65), '--out', out], /\[USAGE\]\n$/],
      [['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'SN_1', '--out', out], /\[USAGE\]\n$/],
      [
        ['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'S', '--out', out, '--days', '0'],
        /--days must be a whole number/,
      ],
      [['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'S'], /--out is required/],
      [['ca', 'manufacturer', 'init', '--name', '', '--out', out], /--name is required/],
      [
        ['ca', 'manufacturer', 'init', '--name', 'x'.repeat(55), '--out', out],
        /the manufacturer name must be 1 to 54 printable ASCII characters/,
      ],
      [['ca', 'manufacturer', 'init', '--name', 'Acme\u001b[2J', '--out', out], /\[USAGE\]\n$/],
      [
        ['ca', 'issue-idevid', '--ca-dir', join(cli.home, 'nowhere'), '--serial', 'S', '--out', out],
        /cannot read the manufacturer CA certificate .*nowhere.*ENOENT \[FILE_UNREADABLE\]\n$/,
      ],
      [['ca', 'mint'], /unknown command 'ca mint'/],
      [['ca', 'manufacturer', 'forget'], /unknown command 'ca manufacturer forget'/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli.run(argv);
      assert.equal(result.code, 2, argv.join(' '));
      assert.match(result.err, message, argv.join(' '));
    }

    // A's certificate with B's key.
    await writeFile(a.caKey, await readFile(b.caKey));
    const mismatch = await cli.run([
      'ca',
      'issue-idevid',
      '--ca-dir',
      a.caDir,
      '--serial',
      'S',
      '--out',
      out,
    ]);
    assert.match(
      mismatch.err,
      /manufacturer-ca\.key is not the key of .*manufacturer-ca\.pem \[LAB_CA_INVALID\]\n$/,
    );
    // An IDevID is no CA.
    await writeFile(a.caPem, await readFile(a.idevidPem));
    const notCa = await cli.run(['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'S', '--out', out]);
    assert.match(notCa.err, /is not a CA certificate \(basicConstraints cA\) \[LAB_CA_INVALID\]\n$/);
    await writeFile(a.caKey, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    await writeFile(a.caPem, await readFile(b.caPem));
    const garbage = await cli.run(['ca', 'issue-idevid', '--ca-dir', a.caDir, '--serial', 'S', '--out', out]);
    assert.match(garbage.err, /is not an unencrypted PEM private key \[LAB_CA_INVALID\]\n$/);
    await assert.rejects(stat(out), { code: 'ENOENT' }, 'no refused command wrote anything');
  });
});

describe('palisade ca manufacturer (panel)', () => {
  it('trusts a manufacturer CA, lists it, and refuses it twice or a certificate that is no CA', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const lab = await labIdevid(admin, 'Acme Devices', 'SN-0001');

    const notCa = await admin.run(['ca', 'manufacturer', 'trust', '--name', 'Acme', '--cert', lab.idevidPem]);
    assert.deepEqual(notCa, {
      code: 2,
      out: '',
      err: 'palisade: the manufacturer certificate is not a CA certificate (basicConstraints cA=TRUE) [MANUFACTURER_CERTIFICATE_INVALID]\n',
    });
    const garbage = join(admin.home, 'garbage.pem');
    await writeFile(garbage, `-----BEGIN CERTIFICATE-----\n${'A'.repeat(200)}\n-----END CERTIFICATE-----\n`);
    const notCert = await admin.run(['ca', 'manufacturer', 'trust', '--name', 'Acme', '--cert', garbage]);
    assert.match(notCert.err, /\[MANUFACTURER_CERTIFICATE_INVALID\]\n$/);
    const missing = await admin.run([
      'ca',
      'manufacturer',
      'trust',
      '--name',
      'Acme',
      '--cert',
      join(admin.home, 'no.pem'),
    ]);
    assert.match(
      missing.err,
      /^palisade: cannot read the manufacturer CA certificate .*no\.pem: ENOENT \[FILE_UNREADABLE\]\n$/,
    );
    const noGroup = await admin.run([
      'ca',
      'manufacturer',
      'trust',
      '--name',
      'Acme',
      '--cert',
      lab.caPem,
      '--group',
      'nowhere',
    ]);
    assert.match(noGroup.err, /\[GROUP_NOT_FOUND\]\n$/);

    const trusted = await admin.run(['ca', 'manufacturer', 'trust', '--name', 'Acme', '--cert', lab.caPem]);
    assert.equal(trusted.code, 0, trusted.err);
    const fingerprint = (await sha256Hex(lab.caPem)).toLowerCase();
    assert.equal(
      trusted.out,
      `trusted manufacturer Acme (CA SHA-256 ${fingerprint})\n` +
        'Claim each device before it enrolls: palisade device claim --idevid-serial <serial>.\n',
    );
    // The same CA as DER: same fingerprint, already trusted.
    const der = join(admin.home, 'manufacturer-ca.der');
    await writeFile(der, Buffer.from(new x509.X509Certificate(await readFile(lab.caPem, 'utf8')).rawData));
    const twice = await admin.run(['ca', 'manufacturer', 'trust', '--name', 'Acme again', '--cert', der]);
    assert.deepEqual(twice, {
      code: 2,
      out: '',
      err: `palisade: manufacturer CA ${fingerprint} is already trusted [MANUFACTURER_EXISTS]\n`,
    });

    const listed = await admin.run(['ca', 'manufacturer', 'list']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(
      listed.out,
      new RegExp(
        `^NAME\\s+AUTO-CLAIM\\s+GROUP\\s+TRUSTED SINCE\\s+CA SHA-256\\nAcme\\s+no\\s+default\\s+\\S+\\s+${fingerprint}\\n$`,
      ),
    );
    const json = JSON.parse((await admin.run(['ca', 'manufacturer', 'list', '--json'])).out) as {
      manufacturers: Array<{ name: string; certificatePem: string }>;
    };
    assert.deepEqual(
      json.manufacturers.map((m) => m.name),
      ['Acme'],
    );
    assert.match(json.manufacturers[0]?.certificatePem ?? '', /^-----BEGIN CERTIFICATE-----/);
  });

  it('lets a device enroll with a lab IDevID: auto-claimed, or claimed first', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const rootCa = await readFile(facts.rootCaPath);
    await admin.run(['group', 'set', '--name', 'field', '--level', 'SLE']);

    const auto = await labIdevid(admin, 'Acme Devices', 'ACME-1');
    const trusted = await admin.run([
      'ca',
      'manufacturer',
      'trust',
      '--name',
      'Acme',
      '--cert',
      auto.caPem,
      '--auto-claim',
      '--group',
      'field',
    ]);
    assert.match(
      trusted.out,
      /\nIts devices enroll with their IDevID without a claim, into group field\.\n$/,
    );
    const enrollWith = async (lab: Awaited<ReturnType<typeof labIdevid>>, serial: string) =>
      simpleEnroll({
        deviceUrl: facts.deviceUrl,
        ca: rootCa,
        csrDer: await makeCsr(serial),
        clientCertificate: {
          cert: await readFile(lab.chainPem, 'utf8'),
          key: await readFile(lab.idevidKey, 'utf8'),
        },
      });
    const enrolled = await enrollWith(auto, 'ACME-1');
    assert.match(issuedCertificate(enrolled).subject, /CN=ACME-1/);
    const shown = await admin.run(['device', 'show', '--id', 'ACME-1']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(
      shown.out,
      /^device ACME-1\n {2}group {8}field\n {2}state {8}enrolled\n {2}IDevID {7}serial ACME-1\n {2}manufacturer Acme\n/,
    );

    // Without --auto-claim, the device must be claimed before it may enroll.
    const claimed = await labIdevid(admin, 'Bolt Industries', 'BOLT-1');
    await admin.run(['ca', 'manufacturer', 'trust', '--name', 'Bolt', '--cert', claimed.caPem]);
    const unclaimed = await enrollWith(claimed, 'BOLT-1');
    assert.equal(unclaimed.status, 403, unclaimed.body);
    assert.equal(problemCode(unclaimed), 'IDEVID_NOT_CLAIMED');
    assert.equal((await admin.run(['device', 'claim', '--idevid-serial', 'BOLT-1'])).code, 0);
    assert.match(issuedCertificate(await enrollWith(claimed, 'BOLT-1')).subject, /CN=BOLT-1/);

    // An IDevID from a CA nobody trusted enrolls nothing.
    const stranger = await labIdevid(admin, 'Nobody', 'NOBODY-1');
    const refused = await enrollWith(stranger, 'NOBODY-1');
    assert.equal(refused.status, 401, refused.body);
    assert.equal(problemCode(refused), 'ENROLLMENT_UNAUTHENTICATED');
    const devices = JSON.parse((await admin.run(['device', 'list', '--json'])).out) as {
      devices: Array<{ id: string }>;
    };
    assert.deepEqual(
      devices.devices.map((d) => d.id),
      ['ACME-1', 'BOLT-1'],
    );
  });
});

async function sha256Hex(pemPath: string): Promise<string> {
  const certificate = new x509.X509Certificate(await readFile(pemPath, 'utf8'));
  return Buffer.from(await certificate.getThumbprint('SHA-256')).toString('hex');
}
