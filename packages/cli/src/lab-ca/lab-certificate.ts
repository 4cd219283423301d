import type { x509 } from './x509.ts';

/** A certificate made by the lab tooling, with its private key, ready to be written to files. */
export interface LabCertificate {
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
  /** Unencrypted PKCS#8 PEM. */
  readonly privateKeyPem: string;
}
