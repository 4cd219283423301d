export { claimEngineEnvironment, DEBIAN_OPENSSL_ENGINES_DIR } from './openssl-engine.ts';
export type { Pkcs11RootOptions } from './pkcs11-root.ts';
export { openPkcs11Root } from './pkcs11-root.ts';
export type {
  IdentityKey,
  IdentityKeyAlgorithm,
  RootOfTrust,
  RootOfTrustFacts,
  RootOfTrustKind,
  TlsClientKey,
  TlsTarget,
} from './root-of-trust.ts';
export type { RootOfTrustErrorCode } from './root-of-trust-error.ts';
export { RootOfTrustError } from './root-of-trust-error.ts';
export type { SoftwareRootOptions } from './software-root.ts';
export { openSoftwareRoot } from './software-root.ts';
export type { TpmRootOptions } from './tpm-root.ts';
export { openTpmRoot } from './tpm-root.ts';
