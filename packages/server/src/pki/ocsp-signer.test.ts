import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { issueOcspSigner, OID_OCSP_NOCHECK } from './ocsp-signer.ts';
import { countingCrypto, createTestHierarchy, type TestHierarchy } from './test-authority.ts';
import { x509 } from './x509.ts';

const OPENSSL = { skip: skipUnlessCommand('openssl', ['version']) };
const DAY_MS = 24 * 3600 * 1000;

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

describe('issueOcspSigner', () => {
  let dir: string;
  let ca: TestHierarchy;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-ocsp-signer-'));
    ca = await createTestHierarchy();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a delegated responder certificate that openssl accepts for OCSP signing', OPENSSL, async () => {
    const signer = await issueOcspSigner(ca.issuing, { validityDays: 7 });
    const certPath = join(dir, 'signer.pem');
    const bundle = join(dir, 'bundle.pem');
    await writeFile(certPath, signer.certificatePem);
    await writeFile(bundle, ca.root.certificatePem + ca.issuing.certificatePem);

    const verified = await tool('openssl', ['verify', '-CAfile', bundle, '-purpose', 'ocsphelper', certPath]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    const text = await tool('openssl', ['x509', '-in', certPath, '-noout', '-text']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /X509v3 Extended Key Usage: \n\s+OCSP Signing\n/);
    assert.match(text.stdout, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(text.stdout, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    assert.match(text.stdout, /OCSP No Check: \n/);
    assert.match(text.stdout, /Issuer: CN = Palisade Test Issuing CA, O = Palisade Tests\n/);
    assert.match(text.stdout, /Subject: CN = Palisade OCSP Responder, O = Palisade Tests\n/);
  });

  it('marks id-pkix-ocsp-nocheck non-critical with a NULL value (RFC 6960 §4.2.2.2.1)', async () => {
    const signer = await issueOcspSigner(ca.issuing, { validityDays: 1 });
    const nocheck = signer.certificate.extensions.find((e) => e.type === OID_OCSP_NOCHECK);
    assert.ok(nocheck);
    assert.equal(nocheck.critical, false);
    assert.deepEqual(new Uint8Array(nocheck.value), new Uint8Array([0x05, 0x00]));
  });

  it('gives a fresh key that matches the certificate and can sign', async () => {
    const first = await issueOcspSigner(ca.issuing, { validityDays: 1 });
    const second = await issueOcspSigner(ca.issuing, { validityDays: 1 });
    assert.notDeepEqual(
      new Uint8Array(first.certificate.publicKey.rawData),
      new Uint8Array(second.certificate.publicKey.rawData),
    );
    const data = new TextEncoder().encode('probe');
    const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
    const signature = await first.crypto.subtle.sign(algorithm, first.privateKey, data);
    const publicKey = await first.certificate.publicKey.export(first.crypto);
    assert.ok(await first.crypto.subtle.verify(algorithm, publicKey, signature, data));
    assert.equal(first.privateKey.extractable, false);
    await assert.rejects(first.crypto.subtle.exportKey('pkcs8', first.privateKey));
  });

  it('is signed through the issuing CA crypto and verifies under its key', async () => {
    const spy = countingCrypto();
    const spied = await createTestHierarchy({ crypto: spy.crypto });
    const before = spy.signatures();
    const signer = await issueOcspSigner(spied.issuing, { validityDays: 1 });
    assert.equal(spy.signatures(), before + 1);
    assert.ok(
      await signer.certificate.verify({
        publicKey: spied.issuing.certificate.publicKey,
        signatureOnly: true,
      }),
    );
  });

  it('never outlives its issuer, and starts a few minutes back for slow clocks', async () => {
    const now = new Date();
    const signer = await issueOcspSigner(ca.issuing, { validityDays: 100_000, now });
    assert.equal(signer.certificate.notAfter.getTime(), ca.issuing.certificate.notAfter.getTime());
    const short = await issueOcspSigner(ca.issuing, { validityDays: 2, now });
    assert.equal(Math.round((short.certificate.notAfter.getTime() - now.getTime()) / DAY_MS), 2);
    assert.ok(short.certificate.notBefore < now);
  });

  it('rejects a validity that is not a positive number of days', async () => {
    for (const validityDays of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(issueOcspSigner(ca.issuing, { validityDays }), RangeError);
    }
  });

  it('makes the key exportable only when asked to', async () => {
    const signer = await issueOcspSigner(ca.issuing, { validityDays: 1, extractable: true });
    assert.equal(signer.privateKey.extractable, true);
    assert.ok((await signer.crypto.subtle.exportKey('pkcs8', signer.privateKey)).byteLength > 0);
  });

  it('takes an explicit subject', async () => {
    const signer = await issueOcspSigner(ca.issuing, { validityDays: 1, subject: 'CN=ocsp.example.test' });
    assert.equal(signer.certificate.subject, 'CN=ocsp.example.test');
    assert.ok(signer.certificate.getExtension(x509.AuthorityKeyIdentifierExtension));
  });
});
