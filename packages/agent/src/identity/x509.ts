// @peculiar/x509 needs reflect-metadata loaded once and a WebCrypto provider;
// agent modules import x509 from here so the set-up happens exactly once.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** WebCrypto's IEEE P1363 r||s as the DER Ecdsa-Sig-Value X.509 and PKCS#10 carry (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const der = new x509.AsnEcSignatureFormatter().toAsnSignature(
    { name: 'ECDSA', hash: 'SHA-256', namedCurve: 'P-256' } as webcrypto.Algorithm,
    raw,
  );
  if (!der) throw new Error('not a P-256 ECDSA signature');
  return new Uint8Array(der);
}
