import { createPublicKey, verify } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import type { SecurityLevel } from '../devices/index.ts';
import { x509 } from '../pki/index.ts';
import { EnrollmentError } from './enrollment-error.ts';

/** A CSR that parsed, whose self-signature verified, and whose key and hash meet policy. */
export interface AcceptedCsr {
  readonly der: Uint8Array;
  readonly request: x509.Pkcs10CertificateRequest;
  readonly publicKey: x509.PublicKey;
  /** e.g. `EC P-256`, `Ed25519`, `RSA 3072`: the evidence CR-2 reports. */
  readonly keyAlgorithm: string;
  readonly commonName: string | undefined;
  readonly sanUris: readonly string[];
  /** RFC 7030 §3.5: carries the base64 TLS channel binding value. */
  readonly challengePassword: string | undefined;
}

// Signature algorithms whose hash no longer resists collisions (SHA-1, MD5).
const WEAK_SIGNATURE_OIDS = new Map([
  ['1.2.840.113549.1.1.4', 'md5WithRSAEncryption'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
  ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ['1.2.840.10040.4.3', 'dsa-with-sha1'],
  ['1.3.14.3.2.29', 'sha1WithRSASignature'],
]);

const ALLOWED_CURVES = new Set(['prime256v1', 'secp384r1', 'P-256', 'P-384']);
const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  'P-256': 'P-256',
  'P-384': 'P-384',
};
const CHALLENGE_PASSWORD_OID = '1.2.840.113549.1.9.7';

const ECDSA_HASHES: Record<string, string> = {
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
// Signature algorithms whose AlgorithmIdentifier has no parameters (RFC 5758 §3.2, RFC 8410 §3).
const PARAMETERLESS = new Set([...Object.keys(ECDSA_HASHES), '1.3.101.112', '1.3.101.113']);

/**
 * RFC 2986 §4: the request is DER. @peculiar/x509 parses leniently (and turns an ECDSA signature
 * into r||s before WebCrypto sees it), so a valid signature inside a mangled envelope — a long-form
 * length, a BIT STRING with unused bits — would pass. DER has exactly one encoding per value:
 * parse and re-encode with the ASN.1 library, and anything that does not come back byte for byte
 * is refused.
 */
function isCanonicalDer(der: Uint8Array, parsed: CertificationRequest): boolean {
  return Buffer.from(AsnSerializer.serialize(parsed)).equals(der);
}

/**
 * What the library's verification leaves open: ECDSA signatures are verified by node:crypto in
 * their DER form, which OpenSSL requires to be canonical (an Ecdsa-Sig-Value under another tag, or
 * with padded integers, fails), and parameterless algorithms must come without parameters.
 */
function signatureStrictlyEncoded(parsed: CertificationRequest, spki: ArrayBuffer): boolean {
  const oid = parsed.signatureAlgorithm.algorithm;
  if (PARAMETERLESS.has(oid) && parsed.signatureAlgorithm.parameters != null) return false;
  const hash = ECDSA_HASHES[oid];
  if (hash === undefined) return true;
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const signed = Buffer.from(AsnSerializer.serialize(parsed.certificationRequestInfo));
  return verify(hash, signed, { key, dsaEncoding: 'der' }, Buffer.from(parsed.signature));
}

/** RSA modulus floor by the group's target level (CR-2; NIST SP 800-57 beyond 2030 for Enhanced and Critical). */
export function minimumRsaBits(level: SecurityLevel): number {
  return level === 'SLB' ? 2048 : 3072;
}

// ASN.1 parse limits against hostile nesting and sizes.
const PARSE_OPTIONS = { berOptions: { maxDepth: 32, maxNodes: 4096, maxContentLength: 64 * 1024 } };

function keyDescription(spki: ArrayBuffer): { description: string; acceptable: (minRsa: number) => boolean } {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = details.namedCurve ?? 'unknown';
      return {
        description: `EC ${CURVE_NAMES[curve] ?? curve}`,
        acceptable: () => ALLOWED_CURVES.has(curve),
      };
    }
    case 'ed25519':
      return { description: 'Ed25519', acceptable: () => true };
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      return { description: `RSA ${bits}`, acceptable: (minRsa) => bits >= minRsa };
    }
    default:
      return { description: String(key.asymmetricKeyType), acceptable: () => false };
  }
}

/**
 * Parses a PKCS#10 request and applies the key and algorithm policy: ECDSA
 * P-256/P-384, Ed25519, RSA ≥ 2048 (≥ 3072 for Enhanced and Critical groups);
 * no SHA-1 or MD5 signatures; a valid self-signature (proof of possession).
 */
export async function acceptCsr(der: Uint8Array, level: SecurityLevel): Promise<AcceptedCsr> {
  const bytes = der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
  let request: x509.Pkcs10CertificateRequest;
  let parsed: CertificationRequest;
  try {
    // The raw structure first: a request signed with an algorithm the library does not know must
    // still be told apart ("weak hash") from garbage.
    parsed = AsnParser.parse(bytes, CertificationRequest, PARSE_OPTIONS);
    if (!isCanonicalDer(der, parsed)) throw new Error('not DER: the encoding is not the canonical one');
    request = new x509.Pkcs10CertificateRequest(bytes, PARSE_OPTIONS);
  } catch (error) {
    throw new EnrollmentError('CSR_MALFORMED', 'the body is not a DER PKCS#10 certificate request', {
      cause: error,
    });
  }
  const weak = WEAK_SIGNATURE_OIDS.get(parsed.signatureAlgorithm.algorithm);
  if (weak)
    throw new EnrollmentError('CSR_SIGNATURE_HASH_WEAK', `CSR signed with ${weak}; use SHA-256 or stronger`);

  let key: ReturnType<typeof keyDescription>;
  try {
    key = keyDescription(request.publicKey.rawData);
  } catch (error) {
    throw new EnrollmentError('CSR_MALFORMED', 'the CSR public key cannot be read', { cause: error });
  }
  const minRsa = minimumRsaBits(level);
  if (!key.acceptable(minRsa)) {
    throw new EnrollmentError(
      'CSR_KEY_WEAK',
      `key ${key.description} is not allowed for ${level}; use EC P-256/P-384, Ed25519 or RSA ≥ ${minRsa}`,
      {
        details: { keyAlgorithm: key.description },
      },
    );
  }

  let verified = false;
  try {
    verified = (await request.verify()) && signatureStrictlyEncoded(parsed, request.publicKey.rawData);
  } catch {
    verified = false;
  }
  if (!verified)
    throw new EnrollmentError(
      'CSR_SIGNATURE_INVALID',
      'the CSR signature does not verify (no proof of possession)',
    );

  const san = request.getExtension('2.5.29.17');
  const challenge = request.getAttribute(CHALLENGE_PASSWORD_OID);
  return {
    der,
    request,
    publicKey: request.publicKey,
    keyAlgorithm: key.description,
    commonName: request.subjectName.getField('CN')[0],
    sanUris:
      san instanceof x509.SubjectAlternativeNameExtension
        ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value)
        : [],
    challengePassword: challenge
      ? new x509.ChallengePasswordAttribute(challenge.rawData).password
      : undefined,
  };
}
