import type { webcrypto } from 'node:crypto';
import { CliError } from '../cli-error.ts';
import type { LabCertificate } from './lab-certificate.ts';
import { newP256KeyPair, privateKeyPem, randomSerial, toPem, x509 } from './x509.ts';

const SUBJECT_SERIAL_NUMBER = '2.5.4.5';
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** RFC 5280 §4.1.2.5: GeneralizedTime 99991231235959Z means "no well-defined expiration date". */
export const NO_WELL_DEFINED_EXPIRATION = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/** The manufacturer CA that signs, as read from its directory. */
export interface IssuingManufacturer {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
  /** The hash to sign with, matching the key's curve. */
  readonly hash: 'SHA-256' | 'SHA-384';
}

export interface IdevidRequest {
  /** The device's serial number: subject CN and serialNumber. */
  readonly serial: string;
  /** Absent: no well-defined expiration, as IEEE 802.1AR recommends for IDevIDs. */
  readonly validityDays?: number | undefined;
}

/**
 * X.520 serialNumber is a PrintableString of at most 64 characters; on
 * auto-claim the panel also takes it as the device ID. Letters, digits, '.'
 * and '-' fit both.
 */
export function parseDeviceSerial(serial: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/.test(serial))
    throw new CliError(
      'USAGE',
      'the serial must be 1 to 64 letters, digits, dots or hyphens, starting with a letter or digit',
    );
  return serial;
}

/** The manufacturer's name: O= of the CA subject, repeated in every IDevID (802.1AR subject conventions). */
export function manufacturerNameOf(ca: x509.X509Certificate): string {
  const organization = ca.subjectName.getField('O')[0];
  if (organization === undefined || organization === '')
    throw new CliError(
      'LAB_CA_INVALID',
      `the manufacturer CA subject ${ca.subject} has no organization (O=)`,
    );
  return organization;
}

/**
 * An IEEE 802.1AR-style IDevID: subject CN=<serial>, serialNumber=<serial>,
 * O=<manufacturer>; a fresh ECDSA P-256 key; clientAuth, digitalSignature;
 * a random 128-bit serial number; by default valid until 99991231235959Z.
 */
export async function issueIdevid(
  ca: IssuingManufacturer,
  request: IdevidRequest,
  now: Date = new Date(),
): Promise<LabCertificate> {
  const serial = parseDeviceSerial(request.serial);
  const keys = await newP256KeyPair();
  const notAfter =
    request.validityDays === undefined
      ? NO_WELL_DEFINED_EXPIRATION
      : new Date(now.getTime() + request.validityDays * 86_400_000);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [
      { CN: [serial] },
      // X.520: serialNumber is a PrintableString; the library picks it for a serial that parseDeviceSerial admits.
      { [SUBJECT_SERIAL_NUMBER]: [serial] },
      { O: [manufacturerNameOf(ca.certificate)] },
    ],
    // The CA's subject as encoded, so that issuer and subject match byte for byte in path building.
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: ca.hash },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return { certificate, certificatePem: toPem(certificate), privateKeyPem: privateKeyPem(keys.privateKey) };
}
