import { webcrypto } from 'node:crypto';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { ECDSA_P256, ECDSA_SHA256, randomSerial, toPem, x509 } from './x509.ts';

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

const DAY_MS = 24 * 3600 * 1000;

/**
 * TEST-ONLY: a root CA and an issuing CA under it (ECDSA P-256, non-extractable
 * keys, the same extensions as `ensureCaHierarchy`), without a database. Not
 * exported from the package index; production code uses `ensureCaHierarchy`.
 */
export async function createTestHierarchy(options: TestAuthorityOptions = {}): Promise<TestHierarchy> {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5 * 60 * 1000);
  const rootKeys = await generateKeys();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Palisade Test Root CA, O=Palisade Tests',
    notBefore,
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys: rootKeys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const issuingKeys = await generateKeys();
  const issuing = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=Palisade Test Issuing CA, O=Palisade Tests',
    issuer: root.subject,
    notBefore,
    notAfter: new Date(now.getTime() + 1825 * DAY_MS),
    publicKey: issuingKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(issuingKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
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
