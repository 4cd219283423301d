import { KeyObject, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { ECDSA_P256, ECDSA_SHA256, randomSerial, toPem, x509 } from './x509.ts';

export interface IssuedKeyPair {
  readonly certificatePem: string;
  /** Unencrypted PKCS#8 PEM: held in memory for a TLS listener, never written to disk. */
  readonly privateKeyPem: string;
  readonly certificate: x509.X509Certificate;
}

export interface LeafProfile {
  readonly commonName: string;
  readonly usage: 'server' | 'client';
  /** DNS names and IP addresses for the subjectAltName. */
  readonly altNames?: readonly string[];
  readonly uris?: readonly string[];
  readonly validityDays: number;
}

/**
 * Issues an end-entity certificate with a fresh P-256 key. Used for the
 * panel's own listener certificates; device certificates come from EST.
 */
export async function issueLeafWithNewKey(
  issuer: CertificateAuthority,
  profile: LeafProfile,
  now = new Date(),
): Promise<IssuedKeyPair> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    ...(profile.altNames ?? []).map(
      (name) => ({ type: isIP(name) ? 'ip' : 'dns', value: name }) as x509.JsonGeneralName,
    ),
    ...(profile.uris ?? []).map((value) => ({ type: 'url', value }) as x509.JsonGeneralName),
  ];
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: `CN=${profile.commonName}`,
      issuer: issuer.certificate.subject,
      notBefore: new Date(now.getTime() - 5 * 60 * 1000),
      notAfter: new Date(now.getTime() + profile.validityDays * 24 * 3600 * 1000),
      publicKey: keys.publicKey,
      signingKey: issuer.privateKey,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          [profile.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
          false,
        ),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate),
      ],
    },
    issuer.crypto,
  );
  return {
    certificate,
    certificatePem: toPem(certificate),
    privateKeyPem: KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}
