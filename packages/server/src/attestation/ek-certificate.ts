import { X509Certificate } from 'node:crypto';
import { type TpmPublic, tpmPublicKeyObject } from '@palisade/core';
import { VerdictFailure } from './verdict-failure.ts';

/** An EK certificate that chains to a trusted TPM manufacturer CA and certifies this very EK. */
export interface CertifiedEk {
  readonly subject: string;
  readonly issuer: string;
  readonly der: Uint8Array;
}

/**
 * Checks an EK certificate (TCG EK Credential Profile 2.x) for one EK:
 *
 * - it parses as X.509 and is within its validity period;
 * - its public key is the EK's own (a genuine certificate of some other TPM
 *   proves nothing about this EK: Keylime CVE-2022-1053);
 * - a trusted TPM manufacturer CA, itself valid and a CA, issued it (names
 *   and key identifiers, `checkIssued`) and signed it (`verify`).
 *
 * @throws VerdictFailure EK_CERTIFICATE_UNTRUSTED saying which, `details.problem` the kind.
 */
export function verifyEkCertificate(
  pemOrBase64Der: string,
  ek: TpmPublic,
  anchors: readonly X509Certificate[],
  now: Date,
): CertifiedEk {
  let certificate: X509Certificate;
  try {
    // TPMs store DER in NV (EK Credential Profile §2.2.1.5); agents may send it as PEM or base64.
    certificate = new X509Certificate(
      pemOrBase64Der.includes('-----BEGIN') ? pemOrBase64Der : Buffer.from(pemOrBase64Der, 'base64'),
    );
  } catch {
    throw untrusted('the EK certificate is not an X.509 certificate', 'unreadable');
  }
  if (!within(certificate, now))
    throw untrusted('the EK certificate is outside its validity period', 'chain');
  const ekKey = Buffer.from(tpmPublicKeyObject(ek).export({ type: 'spki', format: 'der' }));
  const certifiedKey = certificate.publicKey.export({ type: 'spki', format: 'der' });
  if (!ekKey.equals(certifiedKey))
    throw untrusted(
      'the EK certificate certifies another key than the EK the device presented',
      'not-this-ek',
    );
  const issuer = anchors.find(
    (anchor) =>
      anchor.ca &&
      within(anchor, now) &&
      certificate.checkIssued(anchor) &&
      certificate.verify(anchor.publicKey),
  );
  if (issuer === undefined)
    throw untrusted(
      `no trusted TPM manufacturer CA issued the EK certificate (issuer ${certificate.issuer})`,
      'chain',
    );
  return { subject: certificate.subject, issuer: certificate.issuer, der: new Uint8Array(certificate.raw) };
}

function within(certificate: X509Certificate, now: Date): boolean {
  return (
    certificate.validFromDate.getTime() <= now.getTime() && now.getTime() <= certificate.validToDate.getTime()
  );
}

/**
 * `not-this-ek`: the certificate is another key's, which no profile accepts;
 * `chain` / `unreadable`: no trusted manufacturer vouches for it, which a
 * profile with `ekCertificate: optional` tolerates as an uncertified EK.
 */
export type EkCertificateProblem = 'not-this-ek' | 'chain' | 'unreadable';

function untrusted(message: string, problem: EkCertificateProblem): VerdictFailure {
  return new VerdictFailure('EK_CERTIFICATE_UNTRUSTED', message, { details: { problem } });
}
