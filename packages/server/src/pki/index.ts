export type {
  CaCertificate,
  CaHierarchy,
  CaNaming,
  CertificateAuthority,
  OfflineRoot,
} from './ca-hierarchy.ts';
export { ensureCaHierarchy, OFFLINE_KEY_REF } from './ca-hierarchy.ts';
export type { CaKeySource, CaSigningKey, StoredKey } from './ca-key-source.ts';
export { fileKeySource, pkcs11KeySource } from './ca-key-source.ts';
export type { CrlContents, RevocationReason, RevokedEntry } from './crl-builder.ts';
export { buildCrl, crlToPem, REVOCATION_REASON_CODES } from './crl-builder.ts';
export type { CrlPolicy, PublishedCrl } from './crl-publisher.ts';
export { CrlPublisher, DEFAULT_CRL_POLICY } from './crl-publisher.ts';
export type {
  DeviceCertificateRequest,
  IssuedDeviceCertificate,
  RevocationEndpoints,
} from './device-certificate.ts';
export { certsOnlyPkcs7, issueDeviceCertificate } from './device-certificate.ts';
export type {
  IssuingCaFacts,
  IssuingCaRotationOptions,
  OfflineRootKey,
  RotatedIssuingCa,
} from './issuing-ca-rotation.ts';
export { rotateIssuingCa } from './issuing-ca-rotation.ts';
export type { KeyPassphrase } from './key-passphrase.ts';
export { PASSPHRASE_FILE, resolveKeyPassphrase } from './key-passphrase.ts';
export type { IssuedKeyPair, LeafProfile } from './leaf-certificate.ts';
export { issueLeafWithNewKey } from './leaf-certificate.ts';
export type { CertificateStatus, OcspResponderOptions, OcspResponseStatus } from './ocsp-responder.ts';
export {
  MAX_OCSP_CERT_IDS,
  MAX_OCSP_REQUEST_BYTES,
  OCSP_RESPONSE_STATUS,
  OcspResponder,
} from './ocsp-responder.ts';
export { OcspResponders } from './ocsp-responders.ts';
export type { OcspSigner, OcspSignerProfile } from './ocsp-signer.ts';
export { issueOcspSigner, OID_OCSP_NOCHECK } from './ocsp-signer.ts';
export type { PkiErrorCode } from './pki-error.ts';
export { PkiError } from './pki-error.ts';
export { normalizeSerial, sha256Fingerprint, toPem, x509 } from './x509.ts';
