import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../cli-error.ts';
import { createManufacturerCa, parseManufacturerName } from './manufacturer-ca.ts';
import { x509 } from './x509.ts';

describe('createManufacturerCa', () => {
  it('makes a self-signed P-256 CA that signs device certificates only, valid 10 years', async () => {
    const now = new Date('2030-06-01T12:00:00Z');
    const ca = await createManufacturerCa('Acme, Devices + Sons', now);
    const { certificate } = ca;
    // A comma or plus in the name stays one attribute.
    assert.deepEqual(certificate.subjectName.toJSON(), [
      { CN: ['Acme, Devices + Sons IDevID CA'] },
      { O: ['Acme, Devices + Sons'] },
    ]);
    assert.equal(certificate.issuer, certificate.subject);
    assert.ok(await certificate.verify({ publicKey: certificate.publicKey, signatureOnly: true }));
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    assert.deepEqual([constraints?.ca, constraints?.pathLength, constraints?.critical], [true, 0, true]);
    const usages = certificate.getExtension(x509.KeyUsagesExtension);
    assert.equal(usages?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(usages?.critical, true);
    assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension));
    assert.equal(certificate.notAfter.toISOString(), '2040-06-01T12:00:00.000Z');
    assert.ok(certificate.notBefore < now);
    assert.equal((certificate.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256');
    assert.match(ca.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(ca.certificatePem, /-----END CERTIFICATE-----\n$/);
  });
});

describe('parseManufacturerName', () => {
  it('refuses empty, over-long, non-ASCII, control-character and padded names', () => {
    for (const bad of ['', 'x'.repeat(55), 'Acmé', 'Acme\n', ' Acme', 'Acme ']) {
      assert.throws(
        () => parseManufacturerName(bad),
        (error: unknown) => error instanceof CliError && error.code === 'USAGE',
        JSON.stringify(bad),
      );
    }
    assert.equal(parseManufacturerName('x'.repeat(54)), 'x'.repeat(54));
  });
});
