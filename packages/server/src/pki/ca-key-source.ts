import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import { openPkcs11KeyStore, type Pkcs11KeyStore } from '@palisade/pkcs11';
import { PkiError } from './pki-error.ts';
import { ECDSA_P256 } from './x509.ts';

/** A CA signing key and the WebCrypto that can sign with it. */
export interface CaSigningKey {
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
  readonly crypto: webcrypto.Crypto;
}

/** Where a CA key is kept, as recorded in `ca_material`. */
export type StoredKey = { readonly encryptedKeyPem: string } | { readonly keyRef: string };

/**
 * Where the panel's CA keys are made and kept: encrypted PKCS#8 in the
 * database (default), or non-extractable on a PKCS#11 token (an HSM).
 */
export interface CaKeySource extends AsyncDisposable {
  readonly kind: 'file' | 'pkcs11';
  create(name: string): Promise<CaSigningKey & { readonly stored: StoredKey }>;
  load(name: string, stored: StoredKey): Promise<CaSigningKey>;
}

/** Encrypted PKCS#8 (PBES2: PBKDF2 + AES-256-CBC) in the database, readable by `openssl pkey`. */
export function fileKeySource(passphrase: string): CaKeySource {
  return {
    kind: 'file',
    async create() {
      const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const encryptedKeyPem = KeyObject.from(keys.privateKey).export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase,
      }) as string;
      // From here on only a non-extractable copy of the key is used.
      return { ...(await importFileKey(encryptedKeyPem, passphrase, 'new')), stored: { encryptedKeyPem } };
    },
    async load(name, stored) {
      if (!('encryptedKeyPem' in stored)) {
        throw new PkiError(
          'CA_KEY_UNREADABLE',
          `the ${name} CA key is on a PKCS#11 token (${stored.keyRef}); start the panel with --ca-key-store set to that token`,
        );
      }
      return importFileKey(stored.encryptedKeyPem, passphrase, name);
    },
    async [Symbol.asyncDispose]() {},
  };
}

async function importFileKey(
  encryptedKeyPem: string,
  passphrase: string,
  name: string,
): Promise<CaSigningKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: encryptedKeyPem, format: 'pem', passphrase });
  } catch (error) {
    throw new PkiError(
      'CA_KEY_UNREADABLE',
      `cannot decrypt the ${name} CA key: PALISADE_KEY_PASSPHRASE differs from the one it was created with`,
      {
        cause: error,
      },
    );
  }
  return {
    privateKey: keyObject.toCryptoKey(ECDSA_P256, false, ['sign']),
    publicKey: createPublicKey(keyObject).toCryptoKey(ECDSA_P256, true, ['verify']),
    crypto: webcrypto,
  };
}

/** The CA keys on a PKCS#11 token, one object label per CA (`palisade-root-ca`, `palisade-issuing-ca`). */
export async function pkcs11KeySource(uri: string): Promise<CaKeySource> {
  const store: Pkcs11KeyStore = await openPkcs11KeyStore(uri);
  const label = (name: string) => `palisade-${name}-ca`;
  return {
    kind: 'pkcs11',
    async create(name) {
      const key = await store.createSigningKey(label(name));
      return {
        privateKey: key.privateKey,
        publicKey: key.publicKey,
        crypto: key.crypto,
        stored: { keyRef: `pkcs11:object=${label(name)}` },
      };
    },
    async load(name, stored) {
      if (!('keyRef' in stored)) {
        throw new PkiError(
          'CA_KEY_UNREADABLE',
          `the ${name} CA key is in the database's file store, not on the configured PKCS#11 token`,
        );
      }
      const object = /^pkcs11:object=([A-Za-z0-9._-]+)$/.exec(stored.keyRef)?.[1] ?? label(name);
      const key = await store.loadSigningKey(object);
      return { privateKey: key.privateKey, publicKey: key.publicKey, crypto: key.crypto };
    },
    [Symbol.asyncDispose]: () => store.close(),
  };
}
