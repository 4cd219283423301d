import type { CertificateAuthority } from './ca-hierarchy.ts';
import { ECDSA_SHA256, normalizeSerial, randomSerial, toPem, x509 } from './x509.ts';

/** Where relying parties fetch revocation data and the issuer certificate (RFC 5280 §4.2.2.1, §4.2.1.13). */
export interface RevocationEndpoints {
  readonly ocspUrl: string;
  readonly crlUrl: string;
  readonly caIssuersUrl: string;
}

export interface DeviceCertificateRequest {
  readonly deviceId: string;
  /** The subject public key from the verified CSR (or a key the panel generated for serverkeygen). */
  readonly publicKey: x509.PublicKey;
  readonly validityDays: number;
}

export interface IssuedDeviceCertificate {
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
  /** Lower-case hex, as stored and as OCSP and CRL lookups use it. */
  readonly serial: string;
}

// Devices with a slightly slow clock must still accept a certificate issued just now.
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * The operational device certificate (LDevID) profile: subject CN = device ID,
 * SAN URI `urn:palisade:device:<id>`, EKU clientAuth, KU digitalSignature,
 * AIA (OCSP, CA issuers), CRL distribution point, random 128-bit serial.
 * The subject is set by the panel, never copied from the CSR.
 */
export async function issueDeviceCertificate(
  issuer: CertificateAuthority,
  request: DeviceCertificateRequest,
  endpoints: RevocationEndpoints,
  now: Date,
): Promise<IssuedDeviceCertificate> {
  const serial = randomSerial();
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
      subject: [{ CN: [request.deviceId] }],
      issuer: issuer.certificate.subjectName.toJSON(),
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + request.validityDays * 24 * 3600 * 1000),
      publicKey: request.publicKey,
      signingKey: issuer.privateKey,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension(
          [{ type: 'url', value: `urn:palisade:device:${request.deviceId}` }],
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate),
        new x509.AuthorityInfoAccessExtension({
          ocsp: [endpoints.ocspUrl],
          caIssuers: [endpoints.caIssuersUrl],
        }),
        new x509.CRLDistributionPointsExtension([endpoints.crlUrl]),
      ],
    },
    issuer.crypto,
  );
  return {
    certificate,
    certificatePem: toPem(certificate),
    serial: normalizeSerial(certificate.serialNumber),
  };
}

/** A PKCS#7 / CMS certs-only SignedData (RFC 7030 §4.1.3), DER. */
export function certsOnlyPkcs7(certificates: readonly x509.X509Certificate[]): Uint8Array {
  return new Uint8Array(new x509.X509Certificates([...certificates]).export('raw'));
}
