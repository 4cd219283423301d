import { webcrypto } from 'node:crypto';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { ECDSA_P256, ECDSA_SHA256, randomSerial, toPem, x509 } from './x509.ts';

/**
 * A key and certificate that sign OCSP responses: a delegated responder from
 * `issueOcspSigner`, or the issuing CA itself. Same shape as a CA, so every
 * signature goes through `crypto`.
 */
export type OcspSigner = CertificateAuthority;

export interface OcspSignerProfile {
  /** RFC 6960 §4.2.2.2.1: with id-pkix-ocsp-nocheck, keep it short and renew often. */
  readonly validityDays: number;
  readonly now?: Date;
  /** Defaults to `CN=Palisade OCSP Responder` plus the issuer's organization. */
  readonly subject?: string;
  /** Whether the fresh private key may be exported (to store it); false keeps it in memory only. */
  readonly extractable?: boolean;
}

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
export const OID_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const ASN1_NULL = new Uint8Array([0x05, 0x00]);
const DAY_MS = 24 * 3600 * 1000;
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * Issues a delegated OCSP responder certificate with a fresh P-256 key,
 * signed directly by `issuer` through `issuer.crypto` (RFC 6960 §4.2.2.2):
 * EKU id-kp-OCSPSigning, KU digitalSignature, and id-pkix-ocsp-nocheck so
 * that clients do not ask for the responder's own status. Its validity never
 * outlasts the issuer's.
 *
 * The key is a software key from Node's WebCrypto, whatever holds the CA key.
 */
export async function issueOcspSigner(
  issuer: CertificateAuthority,
  profile: OcspSignerProfile,
): Promise<OcspSigner> {
  if (!(Number.isFinite(profile.validityDays) && profile.validityDays > 0)) {
    throw new RangeError('validityDays must be a positive number');
  }
  const now = profile.now ?? new Date();
  const notAfter = new Date(
    Math.min(now.getTime() + profile.validityDays * DAY_MS, issuer.certificate.notAfter.getTime()),
  );
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, profile.extractable ?? false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: profile.subject ?? defaultSubject(issuer),
      issuer: issuer.certificate.subject,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      publicKey: keys.publicKey,
      signingKey: issuer.privateKey,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning], false),
        // RFC 6960 §4.2.2.2.1: SHOULD be non-critical; the value SHALL be NULL.
        new x509.Extension(OID_OCSP_NOCHECK, false, ASN1_NULL),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate),
      ],
    },
    issuer.crypto,
  );
  return {
    certificate,
    certificatePem: toPem(certificate),
    privateKey: keys.privateKey,
    crypto: webcrypto,
  };
}

function defaultSubject(issuer: CertificateAuthority): x509.JsonName {
  const organization = issuer.certificate.subjectName.getField('O')[0];
  return organization === undefined
    ? [{ CN: ['Palisade OCSP Responder'] }]
    : [{ CN: ['Palisade OCSP Responder'] }, { O: [organization] }];
}
