import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Attribute,
  AttributeTypeAndValue,
  AttributeValue,
  DirectoryString,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import type { IdentityKey } from '../roots/root-of-trust.ts';

const OID = {
  commonName: '2.5.4.3',
  challengePassword: '1.2.840.113549.1.9.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

/** RFC 5280 ub-common-name; RFC 2985 §5.4.1 ub-challenge-password (pkcs-9-ub-challengePassword). */
const MAX_COMMON_NAME = 64;
const MAX_CHALLENGE_PASSWORD = 255;

/** X.680 §41.4 PrintableString: what fits stays PrintableString, the most widely parsed choice. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export interface CsrOptions {
  readonly commonName: string;
  /** RFC 7030 §3.5: the base64 TLS channel binding, carried as the PKCS#9 challengePassword. */
  readonly challengePassword?: string;
}

/**
 * A PKCS#10 certification request (RFC 2986), DER, signed by `key` inside
 * its root of trust. Works with any RoT: it only needs the SPKI and `sign`.
 */
export async function buildCsr(key: IdentityKey, options: CsrOptions): Promise<Uint8Array> {
  if (options.commonName.length === 0 || options.commonName.length > MAX_COMMON_NAME) {
    throw new RangeError(`commonName must be 1..${MAX_COMMON_NAME} characters`);
  }
  const challenge = options.challengePassword;
  if (challenge !== undefined && (challenge.length === 0 || challenge.length > MAX_CHALLENGE_PASSWORD)) {
    throw new RangeError(`challengePassword must be 1..${MAX_CHALLENGE_PASSWORD} characters`);
  }

  const attributes =
    challenge === undefined
      ? []
      : [
          new Attribute({
            type: OID.challengePassword,
            // RFC 2985 §5.4.1: challengePassword is a DirectoryString; PrintableString when it fits
            // (base64 does: '+', '/' and '=' are PrintableString characters), UTF8String otherwise.
            values: [AsnConvert.serialize(directoryString(challenge))],
          }),
        ];

  const info = new CertificationRequestInfo({
    version: 0,
    subject: new Name([
      new RelativeDistinguishedName([
        new AttributeTypeAndValue({ type: OID.commonName, value: attributeValue(options.commonName) }),
      ]),
    ]),
    subjectPKInfo: AsnConvert.parse(key.publicKeySpki, SubjectPublicKeyInfo),
    attributes: new Attributes(attributes),
  });

  const toBeSigned = new Uint8Array(AsnConvert.serialize(info));
  const signature = await key.sign(toBeSigned);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    // RFC 5758 §3.2: ecdsa-with-SHA256 has absent parameters.
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 }),
    signature: toArrayBuffer(signature),
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

function directoryString(value: string): DirectoryString {
  return PRINTABLE.test(value)
    ? new DirectoryString({ printableString: value })
    : new DirectoryString({ utf8String: value });
}

function attributeValue(value: string): AttributeValue {
  return PRINTABLE.test(value)
    ? new AttributeValue({ printableString: value })
    : new AttributeValue({ utf8String: value });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
