import {
  formatPkcs11Uri,
  KeyStoreError,
  openPkcs11KeyStore,
  type Pkcs11KeyStore,
  Pkcs11Pin,
  type Pkcs11SigningKey,
  type Pkcs11Uri,
  parsePkcs11Uri,
  readPkcs11Pin,
} from '@palisade/pkcs11';
import { ecdsaRawToDer } from '../identity/x509.ts';
import { claimEngineEnvironment, DEBIAN_OPENSSL_ENGINES_DIR } from './openssl-engine.ts';
import type { IdentityKey, RootOfTrust, RootOfTrustFacts } from './root-of-trust.ts';
import { RootOfTrustError } from './root-of-trust-error.ts';

export interface Pkcs11RootOptions {
  /** RFC 7512 URI of the token: `pkcs11:token=…?module-path=…&pin-source=file:…`. */
  readonly uri: string;
  /** The directory holding libp11's `pkcs11.so` OpenSSL engine, through which TLS signs on the token. */
  readonly engineDir?: string;
}

/**
 * Identity keys generated on a PKCS#11 token (secure element, HSM; SoftHSM2
 * in tests) as sensitive, never-extractable objects. Signatures for CSRs go
 * through the token via WebCrypto; TLS handshakes go through the same token
 * via OpenSSL's libp11 engine, loaded into Node's own OpenSSL.
 */
export async function openPkcs11Root(options: Pkcs11RootOptions): Promise<RootOfTrust> {
  let uri: Pkcs11Uri;
  try {
    uri = parsePkcs11Uri(options.uri);
  } catch (error) {
    // fromKeyStore turns PKCS11_URI_INVALID into ROT_CONFIG_INVALID: a malformed URI is configuration.
    throw fromKeyStore(error, 'ROT_UNAVAILABLE');
  }
  if (uri.modulePath === undefined || uri.token === undefined) {
    throw new RootOfTrustError(
      'ROT_CONFIG_INVALID',
      'the PKCS#11 URI must name the token (token=) and the module (module-path=)',
    );
  }
  const modulePath = uri.modulePath;
  const token = uri.token;
  let pin: string | undefined;
  let store: Pkcs11KeyStore;
  try {
    // An unreadable pin-source file is reported like a missing token: the RoT cannot be used.
    pin = await readPkcs11Pin(uri);
    store = await openPkcs11KeyStore(uri);
  } catch (error) {
    throw fromKeyStore(error, 'ROT_UNAVAILABLE');
  }

  const identityKey = async (label: string, key: Pkcs11SigningKey): Promise<IdentityKey> => {
    const spki = new Uint8Array(await key.crypto.subtle.exportKey('spki', key.publicKey));
    return {
      label,
      algorithm: 'ECDSA-P256-SHA256',
      publicKeySpki: spki,
      async sign(data) {
        // WebCrypto answers IEEE P1363 r||s; X.509 and PKCS#10 want DER Ecdsa-Sig-Value.
        const raw = new Uint8Array(
          await key.crypto.subtle
            .sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, data)
            .catch((error: unknown) => {
              throw fromKeyStore(error, 'ROT_OPERATION_FAILED');
            }),
        );
        return ecdsaRawToDer(raw);
      },
      tlsClientKey() {
        claimEngineEnvironment({
          PKCS11_MODULE_PATH: modulePath,
          OPENSSL_ENGINES: options.engineDir ?? DEBIAN_OPENSSL_ENGINES_DIR,
        });
        const engineUri = formatPkcs11Uri(
          {
            token,
            object: label,
            type: 'private',
            ...(pin === undefined ? {} : { pinValue: new Pkcs11Pin(pin) }),
          },
          { revealPin: true },
        );
        return {
          kind: 'node-options',
          options: { privateKeyEngine: 'pkcs11', privateKeyIdentifier: engineUri },
        };
      },
    };
  };

  return {
    kind: 'pkcs11',
    hardwareBacked: true,
    async createKey(label) {
      try {
        await store.destroySigningKey(label);
        return await identityKey(label, await store.createSigningKey(label));
      } catch (error) {
        throw fromKeyStore(error, 'ROT_OPERATION_FAILED');
      }
    },
    async loadKey(label) {
      try {
        return await identityKey(label, await store.loadSigningKey(label));
      } catch (error) {
        if (error instanceof KeyStoreError && error.code === 'PKCS11_KEY_NOT_FOUND') return undefined;
        throw fromKeyStore(error, 'ROT_KEY_CORRUPT');
      }
    },
    async deleteKey(label) {
      try {
        await store.destroySigningKey(label);
      } catch (error) {
        throw fromKeyStore(error, 'ROT_OPERATION_FAILED');
      }
    },
    async facts(): Promise<RootOfTrustFacts> {
      return { kind: 'pkcs11', hardwareBacked: true, model: token };
    },
    close: () => store.close(),
    [Symbol.asyncDispose]: () => store.close(),
  };
}

function fromKeyStore(error: unknown, code: 'ROT_UNAVAILABLE' | 'ROT_OPERATION_FAILED' | 'ROT_KEY_CORRUPT') {
  if (error instanceof RootOfTrustError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const mapped =
    error instanceof KeyStoreError && error.code === 'PKCS11_URI_INVALID' ? 'ROT_CONFIG_INVALID' : code;
  return new RootOfTrustError(mapped, `PKCS#11 token: ${message}`, { cause: error });
}
