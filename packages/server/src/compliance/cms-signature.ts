/**
 * A detached CMS signature (RFC 5652 §5: SignedData without eContent) over a
 * report's bytes, built with pkijs and signed through the signer's WebCrypto
 * provider. `openssl cms -verify -binary -inform DER -in report.p7s
 * -content report.html -CAfile root-ca.pem` verifies it.
 */
import { createHash, type webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { x509 } from '../pki/index.ts';

/** RFC 5652 §4 id-data, §11.1 contentType, §11.2 messageDigest, §11.3 signingTime. */
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';

export interface CmsSigner {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
  readonly crypto: webcrypto.Crypto;
  /** Certificates between the signer and the root the verifier trusts (the issuing CA). */
  readonly chain: readonly x509.X509Certificate[];
}

/**
 * RFC 5652 §5.4: the signature covers the DER encoding of the signed
 * attributes, a SET OF, whose elements DER sorts by their encodings (X.690
 * §11.6). Verifiers re-encode the set, so the order signed must be that one.
 */
function derOrder(a: pkijs.Attribute, b: pkijs.Attribute): number {
  return Buffer.compare(Buffer.from(a.toSchema().toBER()), Buffer.from(b.toSchema().toBER()));
}

export async function signDetached(
  content: Uint8Array,
  signer: CmsSigner,
  signingTime: Date,
): Promise<Uint8Array> {
  const certificate = pkijs.Certificate.fromBER(new Uint8Array(signer.certificate.rawData));
  const attributes = [
    new pkijs.Attribute({
      type: OID_CONTENT_TYPE,
      values: [new asn1js.ObjectIdentifier({ value: OID_DATA })],
    }),
    // RFC 5652 §11.3: UTCTime up to 2049 (the signer's certificate never outlives it here).
    new pkijs.Attribute({ type: OID_SIGNING_TIME, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
    new pkijs.Attribute({
      type: OID_MESSAGE_DIGEST,
      values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(content).digest() })],
    }),
  ].sort(derOrder);
  const signed = new pkijs.SignedData({
    // RFC 5652 §5.1: version 1 with an IssuerAndSerialNumber signer and id-data content.
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID_DATA }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({
          issuer: certificate.issuer,
          serialNumber: certificate.serialNumber,
        }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
      }),
    ],
    certificates: [
      certificate,
      ...signer.chain.map((c) => pkijs.Certificate.fromBER(new Uint8Array(c.rawData))),
    ],
  });
  await signed.sign(
    signer.privateKey,
    0,
    'SHA-256',
    content,
    new pkijs.CryptoEngine({ crypto: signer.crypto }),
  );
  const contentInfo = new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.SIGNED_DATA,
    content: signed.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}
