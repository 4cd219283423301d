import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { skipUnlessCommand } from '@palisade/testkit';
import * as x509 from '@peculiar/x509';
import type { IdentityKey } from '../roots/root-of-trust.ts';
import { buildCsr } from './csr.ts';

const run = promisify(execFile);

/** A software key behind the IdentityKey interface: the CSR builder must not care which RoT it talks to. */
function softwareKey(): IdentityKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    label: 'software-test',
    algorithm: 'ECDSA-P256-SHA256',
    publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign: async (data) => new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
    tlsClientKey: () => ({
      kind: 'node-options',
      options: { key: privateKey.export({ format: 'pem', type: 'pkcs8' }) },
    }),
  };
}

async function opensslReq(der: Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-csr-'));
  try {
    const file = join(dir, 'req.der');
    await writeFile(file, der);
    const { stdout, stderr } = await run('openssl', [
      'req',
      '-inform',
      'DER',
      '-in',
      file,
      '-verify',
      '-noout',
      '-text',
    ]);
    return `${stdout}\n${stderr}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('buildCsr', () => {
  it('builds a request openssl verifies, with the subject and key', {
    skip: skipUnlessCommand('openssl', ['version']),
  }, async () => {
    const key = softwareKey();
    const der = await buildCsr(key, { commonName: 'device-42' });
    const text = await opensslReq(der);
    assert.match(text, /verify OK|Certificate request self-signature verify OK|self-signature ok/i);
    assert.match(text, /Subject: CN ?= ?device-42/);
    assert.match(text, /ecdsa-with-SHA256/);
    const csr = new x509.Pkcs10CertificateRequest(der);
    assert.deepEqual(new Uint8Array(csr.publicKey.rawData), key.publicKeySpki);
  });

  it('carries a base64 channel binding as a PrintableString challengePassword', async () => {
    const binding = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 250)).toString('base64');
    assert.match(binding, /[+/=]/, 'the test value exercises the base64 punctuation');
    const der = await buildCsr(softwareKey(), { commonName: 'device-42', challengePassword: binding });
    const csr = new x509.Pkcs10CertificateRequest(der);
    assert.equal(await csr.verify(), true);
    const attribute = csr.getAttribute('1.2.840.113549.1.9.7');
    assert.ok(attribute);
    assert.equal(new x509.ChallengePasswordAttribute(attribute.rawData).password, binding);
    // 0x13: PrintableString (X.680 §8.4 universal tag 19).
    assert.equal(new Uint8Array(attribute.values[0] ?? new ArrayBuffer(0))[0], 0x13);
    if (skipUnlessCommand('openssl', ['version']) === false) {
      assert.match(
        await opensslReq(der),
        new RegExp(`challengePassword\\s*:\\s*${binding.replace(/[+/]/g, '\\$&')}`),
      );
    }
  });

  it('falls back to UTF8String for a challengePassword PrintableString cannot hold', async () => {
    const der = await buildCsr(softwareKey(), { commonName: 'device-42', challengePassword: 'pässwort_1' });
    const attribute = new x509.Pkcs10CertificateRequest(der).getAttribute('1.2.840.113549.1.9.7');
    assert.equal(new Uint8Array(attribute?.values[0] ?? new ArrayBuffer(0))[0], 0x0c);
  });

  it('rejects an empty or oversized common name before signing', async () => {
    let signed = false;
    const sign = async () => {
      signed = true;
      return new Uint8Array();
    };
    const key = { ...softwareKey(), sign };
    await assert.rejects(buildCsr(key, { commonName: '' }), RangeError);
    await assert.rejects(buildCsr(key, { commonName: 'x'.repeat(65) }), RangeError);
    assert.equal(signed, false);
  });
});
