// @peculiar/x509 needs reflect-metadata loaded once and a WebCrypto provider;
// every lab-ca module imports x509 from here so the set-up happens exactly once.
import 'reflect-metadata';
import { createHash, KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A random positive 128-bit serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** PEM with the trailing newline OpenSSL and most tools expect (@peculiar/x509 omits it). */
export function toPem(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem')}\n`;
}

/** Colon-separated upper-case SHA-256 of the DER, as `openssl x509 -fingerprint -sha256` prints it. */
export function sha256Fingerprint(certificate: x509.X509Certificate): string {
  const hex = createHash('sha256').update(Buffer.from(certificate.rawData)).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

/** A fresh ECDSA P-256 key pair whose private half can be written out as PKCS#8. */
export async function newP256KeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

/** Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), which OpenSSL and the agent read. */
export function privateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** A subject as OpenSSL spells it, serialNumber included (the library prints its OID otherwise). */
export function subjectText(certificate: x509.X509Certificate): string {
  return new x509.Name(certificate.subjectName.toArrayBuffer(), { '2.5.4.5': 'serialNumber' }).toString();
}
