/**
 * The key that signs compliance reports: a P-256 key made in memory on each
 * replica (never stored, never exported) with a certificate from the panel's
 * issuing CA, so that anyone holding the root CA certificate can verify a
 * report. Re-issued before it nears its end.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import type { CaHierarchy } from '../pki/index.ts';
import { x509 } from '../pki/index.ts';
import { type CmsSigner, signDetached } from './cms-signature.ts';

const DAY_MS = 24 * 3600 * 1000;
/** Verifying an old report after this needs `openssl cms -verify -attime` (docs/compliance.md). */
const VALIDITY_DAYS = 730;
const RENEW_WITHIN_DAYS = 30;
/** RFC 9336 id-kp-documentSigning. */
const DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';

function serialNumber(): string {
  const bytes = randomBytes(16);
  // RFC 5280 §4.1.2.2: positive, at most 20 octets.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

export class ReportSigner {
  readonly #ca: CaHierarchy;
  readonly #now: () => Date;
  readonly #organization: string;
  #signer: Promise<CmsSigner> | undefined;

  constructor(ca: CaHierarchy, options: { readonly now: () => Date; readonly organization: string }) {
    this.#ca = ca;
    this.#now = options.now;
    this.#organization = options.organization;
  }

  /** A detached CMS signature over `content`, made now. */
  async sign(content: Uint8Array): Promise<Uint8Array> {
    const now = this.#now();
    return signDetached(content, await this.#current(now), now);
  }

  async #current(now: Date): Promise<CmsSigner> {
    const signer = this.#signer && (await this.#signer.catch(() => undefined));
    if (signer && signer.certificate.notAfter.getTime() - now.getTime() > RENEW_WITHIN_DAYS * DAY_MS)
      return signer;
    const issuing = this.#issue(now);
    this.#signer = issuing;
    return issuing;
  }

  async #issue(now: Date): Promise<CmsSigner> {
    const issuer = this.#ca.issuing;
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const notAfter = new Date(
      Math.min(now.getTime() + VALIDITY_DAYS * DAY_MS, issuer.certificate.notAfter.getTime()),
    );
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: [{ CN: ['Palisade compliance reports'] }, { O: [this.#organization] }],
        issuer: issuer.certificate.subject,
        notBefore: new Date(now.getTime() - 5 * 60 * 1000),
        notAfter,
        publicKey: keys.publicKey,
        signingKey: issuer.privateKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
            true,
          ),
          // emailProtection as well: `openssl cms -verify` checks the S/MIME signing purpose by default.
          new x509.ExtendedKeyUsageExtension(
            [DOCUMENT_SIGNING, x509.ExtendedKeyUsage.emailProtection],
            false,
          ),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate),
        ],
      },
      issuer.crypto,
    );
    return { certificate, privateKey: keys.privateKey, crypto: webcrypto, chain: [issuer.certificate] };
  }
}
