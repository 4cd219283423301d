import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CliError } from '../cli-error.ts';
import { issueIdevid, manufacturerNameOf, NO_WELL_DEFINED_EXPIRATION, parseDeviceSerial } from './idevid.ts';
import { createManufacturerCa } from './manufacturer-ca.ts';
import { newP256KeyPair, x509 } from './x509.ts';

async function acme() {
  const ca = await createManufacturerCa('Acme Devices');
  const privateKey = await crypto.subtle.importKey(
    'pkcs8',
    Buffer.from(ca.privateKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  return { certificate: ca.certificate, privateKey, hash: 'SHA-256' as const };
}

// DER of the attribute type serialNumber (2.5.4.5) followed by the PrintableString tag.
const SERIAL_NUMBER_AS_PRINTABLE_STRING = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x05, 0x13]);

describe('issueIdevid', () => {
  it('issues an 802.1AR-style IDevID: CN, serialNumber and O, clientAuth, no well-defined expiration', async () => {
    const ca = await acme();
    const { certificate } = await issueIdevid(ca, { serial: 'SN-0001' });
    assert.equal(certificate.subjectName.getField('CN')[0], 'SN-0001');
    assert.equal(certificate.subjectName.getField('2.5.4.5')[0], 'SN-0001');
    assert.equal(certificate.subjectName.getField('O')[0], 'Acme Devices');
    assert.ok(
      Buffer.from(certificate.subjectName.toArrayBuffer()).includes(SERIAL_NUMBER_AS_PRINTABLE_STRING),
    );
    assert.equal(
      Buffer.compare(
        Buffer.from(certificate.issuerName.toArrayBuffer()),
        Buffer.from(ca.certificate.subjectName.toArrayBuffer()),
      ),
      0,
    );
    assert.ok(await certificate.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }));
    assert.equal(certificate.notAfter.getTime(), NO_WELL_DEFINED_EXPIRATION.getTime());

    assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const usages = certificate.getExtension(x509.KeyUsagesExtension);
    assert.deepEqual([usages?.usages, usages?.critical], [x509.KeyUsageFlags.digitalSignature, true]);
    assert.deepEqual(
      [...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
      [x509.ExtendedKeyUsage.clientAuth],
    );
    const aki = certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
    assert.equal(aki, ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  it('issues random positive 128-bit serial numbers and a finite validity on request', async () => {
    const ca = await acme();
    const now = new Date('2031-01-01T00:00:00Z');
    const serials = new Set<string>();
    for (let i = 0; i < 8; i += 1) {
      const { certificate } = await issueIdevid(ca, { serial: `SN-${i}`, validityDays: 7300 }, now);
      assert.equal(certificate.notAfter.toISOString(), '2050-12-27T00:00:00.000Z');
      assert.match(certificate.serialNumber, /^[0-7][0-9a-f]{31}$/);
      serials.add(certificate.serialNumber);
    }
    assert.equal(serials.size, 8);
  });

  it('refuses a CA whose subject names no organization', async () => {
    const keys = await newP256KeyPair();
    const anonymous = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=Anonymous CA',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    assert.throws(
      () => manufacturerNameOf(anonymous),
      (error: unknown) => error instanceof CliError && error.code === 'LAB_CA_INVALID',
    );
    await assert.rejects(
      issueIdevid({ certificate: anonymous, privateKey: keys.privateKey, hash: 'SHA-256' }, { serial: 'S' }),
      (error: unknown) => error instanceof CliError && error.code === 'LAB_CA_INVALID',
    );
  });
});

describe('parseDeviceSerial', () => {
  it('admits only serials that are both a PrintableString and a panel device ID', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (serial) => {
        let accepted: boolean;
        try {
          accepted = parseDeviceSerial(serial) === serial;
        } catch (error) {
          assert.ok(error instanceof CliError && error.code === 'USAGE');
          accepted = false;
        }
        if (accepted) {
          assert.ok(x509.Name.isPrintableString(serial), serial);
          assert.match(serial, /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
          assert.ok(serial.length <= 64);
        }
      }),
    );
    for (const good of ['SN-0001', 'a', 'ABC.123-x', 'x'.repeat(64)])
      assert.equal(parseDeviceSerial(good), good);
    for (const bad of ['', '-a', '.a', 'a b', 'a_b', 'x'.repeat(65), 'ä']) {
      assert.throws(() => parseDeviceSerial(bad), CliError, bad);
    }
  });
});
