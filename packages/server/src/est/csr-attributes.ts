import * as asn1js from 'asn1js';

const OID = {
  challengePassword: '1.2.840.113549.1.9.7',
  ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

/**
 * RFC 7030 §4.5.2 CsrAttrs: what the panel would like in a CSR. Asks for the
 * channel binding (challengePassword, RFC 7030 §3.5), an EC P-256 key and an
 * ECDSA-with-SHA256 signature; other keys the policy accepts still enroll.
 */
export function csrAttributesDer(): Uint8Array {
  const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
  const sequence = new asn1js.Sequence({
    value: [
      oid(OID.challengePassword),
      // Attribute { type: ecPublicKey, values: SET { secp256r1 } }
      new asn1js.Sequence({ value: [oid(OID.ecPublicKey), new asn1js.Set({ value: [oid(OID.secp256r1)] })] }),
      oid(OID.ecdsaWithSha256),
    ],
  });
  return new Uint8Array(sequence.toBER(false));
}
