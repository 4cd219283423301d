export type { CaHierarchy, CaNaming, CertificateAuthority } from './ca-hierarchy.ts';
export { ensureCaHierarchy } from './ca-hierarchy.ts';
export type { KeyPassphrase } from './key-passphrase.ts';
export { PASSPHRASE_FILE, resolveKeyPassphrase } from './key-passphrase.ts';
export type { IssuedKeyPair, LeafProfile } from './leaf-certificate.ts';
export { issueLeafWithNewKey } from './leaf-certificate.ts';
export type { PkiErrorCode } from './pki-error.ts';
export { PkiError } from './pki-error.ts';
export { sha256Fingerprint, toPem, x509 } from './x509.ts';
