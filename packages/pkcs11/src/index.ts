export type { KeyStoreErrorCode } from './key-store-error.ts';
export { KeyStoreError } from './key-store-error.ts';
export type { Pkcs11KeyStore, Pkcs11SigningKey } from './pkcs11-key-store.ts';
export { openPkcs11KeyStore, readPkcs11Pin } from './pkcs11-key-store.ts';
export type { Pkcs11Uri } from './pkcs11-uri.ts';
export { formatPkcs11Uri, Pkcs11Pin, parsePkcs11Uri } from './pkcs11-uri.ts';
