import { CliError } from '../cli-error.ts';
import type { LabCertificate } from './lab-certificate.ts';
import { newP256KeyPair, privateKeyPem, randomSerial, toPem, x509 } from './x509.ts';

const CA_VALIDITY_YEARS = 10;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
// X.520 caps the common name at 64 characters, and the CN adds ' IDevID CA' to the name.
const MAX_NAME_LENGTH = 54;

/** A manufacturer's name as it appears in O= of its CA and of every IDevID it issues. */
export function parseManufacturerName(name: string): string {
  if (
    name.length === 0 ||
    name.length > MAX_NAME_LENGTH ||
    !/^[\x20-\x7e]+$/.test(name) ||
    name.trim() !== name
  )
    throw new CliError(
      'USAGE',
      `the manufacturer name must be 1 to ${MAX_NAME_LENGTH} printable ASCII characters, without leading or trailing spaces`,
    );
  return name;
}

/**
 * A self-signed manufacturer CA for labs and demos, the kind of CA that
 * signs IEEE 802.1AR IDevIDs at the factory: ECDSA P-256, CA:TRUE with
 * pathlen 0 (it signs device certificates only), keyCertSign and cRLSign,
 * valid 10 years. A real manufacturer keeps this key in an HSM.
 */
export async function createManufacturerCa(name: string, now: Date = new Date()): Promise<LabCertificate> {
  const organization = parseManufacturerName(name);
  const keys = await newP256KeyPair();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    // JSON form: a name with a comma or a plus must not be read as two attributes.
    name: [{ CN: [`${organization} IDevID CA`] }, { O: [organization] }],
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      // RFC 5280 §4.2.1.9: critical; pathlen 0, no intermediate CAs below it.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, certificatePem: toPem(certificate), privateKeyPem: privateKeyPem(keys.privateKey) };
}
