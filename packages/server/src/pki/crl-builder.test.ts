import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import * as pkijs from 'pkijs';
import { buildCrl, type CrlContents, crlToPem, REVOCATION_REASON_CODES } from './crl-builder.ts';
import { issueLeafWithNewKey } from './leaf-certificate.ts';
import { countingCrypto, createTestHierarchy, type TestHierarchy } from './test-authority.ts';
import { x509 } from './x509.ts';

const OPENSSL = { skip: skipUnlessCommand('openssl', ['version']) };
const HOUR_MS = 3600 * 1000;

/** Runs an independent tool; never throws on a non-zero exit. */
async function tool(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('buildCrl', () => {
  let dir: string;
  let ca: TestHierarchy;
  let bundle: string;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - HOUR_MS + 789);

  function contents(revoked: CrlContents['revoked'], crlNumber: bigint | number = 42): CrlContents {
    return { crlNumber, thisUpdate: now, nextUpdate: new Date(now.getTime() + 24 * HOUR_MS), revoked };
  }

  async function writeCrl(name: string, der: Uint8Array): Promise<{ der: string; pem: string }> {
    const paths = { der: join(dir, `${name}.der`), pem: join(dir, `${name}.pem`) };
    await writeFile(paths.der, der);
    await writeFile(paths.pem, crlToPem(der));
    return paths;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-crl-'));
    ca = await createTestHierarchy();
    bundle = join(dir, 'root-and-issuing.pem');
    await writeFile(bundle, ca.root.certificatePem + ca.issuing.certificatePem);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('produces a CRL whose signature openssl verifies against the issuing CA', OPENSSL, async () => {
    const crl = await writeCrl('verify', await buildCrl(ca.issuing, contents([])));
    const result = await tool('openssl', [
      'crl',
      '-inform',
      'DER',
      '-in',
      crl.der,
      '-CAfile',
      bundle,
      '-noout',
      '-verify',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr + result.stdout, /verify OK/);
  });

  it('is v2 with CRL Number, Authority Key Identifier, serials and reason codes', OPENSSL, async () => {
    const der = await buildCrl(
      ca.issuing,
      contents(
        [
          { serialHex: '0A1B2C', revokedAt: now, reason: 'keyCompromise' },
          { serialHex: '80ff01', revokedAt: now, reason: 'superseded' },
          { serialHex: '77', revokedAt: now, reason: 'cessationOfOperation' },
        ],
        123_456_789_012_345_678_901_234_567_890n,
      ),
    );
    const crl = await writeCrl('text', der);
    const text = await tool('openssl', ['crl', '-inform', 'DER', '-in', crl.der, '-noout', '-text']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Version 2 \(0x1\)/);
    assert.match(text.stdout, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text.stdout, /X509v3 CRL Number: \n\s+123456789012345678901234567890\n/);
    const ski = ca.issuing.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '';
    const aki = ski.toUpperCase().match(/../g)?.join(':') ?? '';
    assert.match(text.stdout, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${aki}\\n`));
    assert.match(
      text.stdout,
      /Serial Number: 0A1B2C\n[^\n]+\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+Key Compromise/,
    );
    // A serial with the top bit set keeps its sign octet and stays positive.
    assert.match(
      text.stdout,
      /Serial Number: 80FF01\n[^\n]+\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+Superseded/,
    );
    assert.match(
      text.stdout,
      /Serial Number: 77\n[^\n]+\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+Cessation Of Operation/,
    );
    assert.match(text.stdout, /Last Update: .*\n\s+Next Update: /);
  });

  it('omits the reason code for unspecified, as RFC 5280 §5.3.1 recommends', async () => {
    const der = await buildCrl(
      ca.issuing,
      contents([{ serialHex: '1234', revokedAt: now, reason: 'unspecified' }]),
    );
    const parsed = pkijs.CertificateRevocationList.fromBER(der);
    const entry = parsed.revokedCertificates?.[0];
    assert.ok(entry);
    assert.equal(entry.crlEntryExtensions, undefined);
  });

  it('leaves the revoked list out entirely when nothing is revoked (RFC 5280 §5.1.2.6)', async () => {
    const parsed = pkijs.CertificateRevocationList.fromBER(await buildCrl(ca.issuing, contents([])));
    assert.equal(parsed.revokedCertificates, undefined);
    assert.equal(parsed.version, 1);
    assert.ok(parsed.nextUpdate);
  });

  it('drops fractional seconds and switches to GeneralizedTime from 2050', async () => {
    const der = await buildCrl(ca.issuing, {
      crlNumber: 1,
      thisUpdate: new Date('2049-12-31T23:59:59.999Z'),
      nextUpdate: new Date('2050-01-07T00:00:00.500Z'),
      revoked: [
        { serialHex: '01', revokedAt: new Date('2049-06-01T12:00:00.250Z'), reason: 'keyCompromise' },
      ],
    });
    const parsed = pkijs.CertificateRevocationList.fromBER(der);
    assert.equal(parsed.thisUpdate.type, 0);
    assert.equal(parsed.thisUpdate.value.toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(parsed.nextUpdate?.type, 1);
    assert.equal(parsed.nextUpdate?.value.toISOString(), '2050-01-07T00:00:00.000Z');
    assert.equal(
      parsed.revokedCertificates?.[0]?.revocationDate.value.toISOString(),
      '2049-06-01T12:00:00.000Z',
    );
  });

  it('makes openssl verify -crl_check refuse a revoked leaf and accept a good one', OPENSSL, async () => {
    const revoked = await issueLeafWithNewKey(ca.issuing, {
      commonName: 'revoked-device',
      usage: 'client',
      validityDays: 1,
    });
    const good = await issueLeafWithNewKey(ca.issuing, {
      commonName: 'good-device',
      usage: 'client',
      validityDays: 1,
    });
    const der = await buildCrl(
      ca.issuing,
      contents([{ serialHex: revoked.certificate.serialNumber, revokedAt: now, reason: 'keyCompromise' }]),
    );
    const crl = await writeCrl('leaves', der);
    const revokedPath = join(dir, 'revoked.pem');
    const goodPath = join(dir, 'good.pem');
    await writeFile(revokedPath, revoked.certificatePem);
    await writeFile(goodPath, good.certificatePem);

    const refused = await tool('openssl', [
      'verify',
      '-crl_check',
      '-CRLfile',
      crl.pem,
      '-CAfile',
      bundle,
      revokedPath,
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /certificate revoked/);

    const accepted = await tool('openssl', [
      'verify',
      '-crl_check',
      '-CRLfile',
      crl.pem,
      '-CAfile',
      bundle,
      goodPath,
    ]);
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.match(accepted.stdout, /: OK/);
  });

  it('signs through authority.crypto', async () => {
    const spy = countingCrypto();
    const spied = await createTestHierarchy({ crypto: spy.crypto });
    const before = spy.signatures();
    await buildCrl(spied.issuing, contents([]));
    assert.equal(spy.signatures(), before + 1);
  });

  it('rejects input a complete CRL cannot carry, naming the mistake', async () => {
    const entry = { serialHex: '01', revokedAt: now, reason: 'keyCompromise' } as const;
    const cases: Array<[CrlContents, RegExp]> = [
      [contents([{ ...entry, reason: 'removeFromCRL' }]), /delta CRL/],
      [contents([entry, { ...entry, serialHex: '0001' }]), /listed twice/],
      [contents([{ ...entry, serialHex: '12xz' }]), /invalid serial/],
      [contents([{ ...entry, serialHex: '' }]), /invalid serial/],
      [contents([], -1), /CRL number/],
      [contents([], 1n << 159n), /CRL number/],
      [{ ...contents([]), nextUpdate: now }, /nextUpdate/],
      [{ ...contents([]), thisUpdate: new Date(Number.NaN) }, /thisUpdate/],
    ];
    for (const [input, message] of cases) {
      await assert.rejects(buildCrl(ca.issuing, input), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, message);
        return true;
      });
    }
  });
});

describe('crlToPem', () => {
  it('writes the X509 CRL label, 64-column base64 and a trailing newline', () => {
    const pem = crlToPem(new Uint8Array(100).fill(0xab));
    const lines = pem.split('\n');
    assert.equal(lines[0], '-----BEGIN X509 CRL-----');
    assert.equal(lines[1]?.length, 64);
    assert.equal(lines.at(-2), '-----END X509 CRL-----');
    assert.equal(lines.at(-1), '');
    assert.deepEqual(Buffer.from(lines.slice(1, -2).join(''), 'base64'), Buffer.alloc(100, 0xab));
  });
});

describe('REVOCATION_REASON_CODES', () => {
  it('uses the RFC 5280 §5.3.1 codes, with 7 left unused', () => {
    assert.deepEqual(
      Object.values(REVOCATION_REASON_CODES).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 8, 9, 10],
    );
    assert.equal(REVOCATION_REASON_CODES.certificateHold, 6);
    assert.equal(REVOCATION_REASON_CODES.removeFromCRL, 8);
    assert.equal(REVOCATION_REASON_CODES.aACompromise, 10);
  });
});
