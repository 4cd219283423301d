import { webcrypto } from 'node:crypto';
import { type CertificateAuthority, issueCaCertificates } from './ca-hierarchy.ts';
import { ECDSA_P256, toPem, type x509 } from './x509.ts';

/** A root and an issuing CA, shaped like the panel's real hierarchy. */
export interface TestHierarchy {
  readonly root: CertificateAuthority;
  readonly issuing: CertificateAuthority;
}

export interface TestAuthorityOptions {
  /** The WebCrypto every signature of the issuing CA goes through (e.g. a spy); Node's by default. */
  readonly crypto?: webcrypto.Crypto;
  readonly now?: Date;
}

/**
 * TEST-ONLY: a root CA and an issuing CA under it (ECDSA P-256, non-extractable
 * keys, the very profile of `ensureCaHierarchy`), without a database. Not
 * exported from the package index; production code uses `ensureCaHierarchy`.
 */
export async function createTestHierarchy(options: TestAuthorityOptions = {}): Promise<TestHierarchy> {
  const now = options.now ?? new Date();
  const rootKeys = await generateKeys();
  const issuingKeys = await generateKeys();
  const { root, issuing } = await issueCaCertificates(
    { ...rootKeys, crypto: webcrypto },
    issuingKeys.publicKey,
    {
      root: 'CN=Palisade Test Root CA, O=Palisade Tests',
      issuing: 'CN=Palisade Test Issuing CA, O=Palisade Tests',
    },
    now,
  );
  return {
    root: authority(root, rootKeys.privateKey, webcrypto),
    issuing: authority(issuing, issuingKeys.privateKey, options.crypto ?? webcrypto),
  };
}

/** TEST-ONLY: the issuing CA of a fresh `createTestHierarchy()`. */
export async function createTestAuthority(options: TestAuthorityOptions = {}): Promise<CertificateAuthority> {
  return (await createTestHierarchy(options)).issuing;
}

/**
 * TEST-ONLY: Node's WebCrypto with every `subtle.sign` call counted, to prove
 * that a signature went through the crypto it was given.
 */
export function countingCrypto(): { readonly crypto: webcrypto.Crypto; readonly signatures: () => number } {
  let count = 0;
  const subtle = new Proxy(webcrypto.subtle, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'sign') {
        return (...args: Parameters<webcrypto.SubtleCrypto['sign']>) => {
          count += 1;
          return target.sign(...args);
        };
      }
      return value.bind(target);
    },
  });
  const crypto = new Proxy(webcrypto, {
    get(target, property) {
      if (property === 'subtle') return subtle;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { crypto, signatures: () => count };
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ECDSA_P256, false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

function authority(
  certificate: x509.X509Certificate,
  privateKey: webcrypto.CryptoKey,
  crypto: webcrypto.Crypto,
): CertificateAuthority {
  return { certificate, certificatePem: toPem(certificate), privateKey, crypto };
}
