// @peculiar/x509 needs reflect-metadata loaded once and a WebCrypto provider;
// every PKI module imports x509 from here so the set-up happens exactly once.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A random positive 128-bit serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** PEM with the trailing newline OpenSSL and most tools expect (@peculiar/x509 omits it). */
export function toPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

/** Colon-separated upper-case SHA-256 of the DER, as `openssl x509 -fingerprint -sha256` prints it. */
export function sha256Fingerprint(cert: x509.X509Certificate): string {
  const hex = createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

/**
 * One spelling of a serial number for storage and lookups: lower-case hex
 * without leading zeros. Tools disagree on whether a leading zero nibble or a
 * sign byte is printed; the integer is what identifies the certificate.
 */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}
