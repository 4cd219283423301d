import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { REVOCATION_REASON_CODES, type RevocationReason } from './crl-builder.ts';
import type { OcspSigner } from './ocsp-signer.ts';
import { normalizeSerial, x509 } from './x509.ts';

/** What the panel knows about one certificate of the issuer, by serial number. */
export type CertificateStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: RevocationReason }
  | { readonly status: 'unknown' };

export interface OcspResponderOptions {
  /** The CA whose certificates this responder answers for (matched by issuerNameHash/issuerKeyHash). */
  readonly issuer: CertificateAuthority;
  /** A delegated responder issued by `issuer` (see `issueOcspSigner`), or `issuer` itself. */
  readonly signer: OcspSigner;
  /**
   * Status by serial number, spelt as `normalizeSerial` spells it (lower-case
   * hex, no leading zeros): the form device certificates are stored in.
   */
  readonly lookup: (serialHex: string) => Promise<CertificateStatus>;
  readonly now?: () => Date;
  /** How long a client may rely on an answer (nextUpdate − thisUpdate); 3600 by default. */
  readonly nextUpdateSeconds?: number;
  /** Told about failures answered with `internalError` (lookup or signing failed, signer expired). */
  readonly onInternalError?: (error: unknown) => void;
}

/** OCSPResponseStatus (RFC 6960 §4.2.1); 4 is not used. */
export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;
export type OcspResponseStatus = (typeof OCSP_RESPONSE_STATUS)[keyof typeof OCSP_RESPONSE_STATUS];

/** Requests larger than this are answered with malformedRequest before any parsing. */
export const MAX_OCSP_REQUEST_BYTES = 64 * 1024;
/** At most this many CertIDs per request, so one request cannot fan out into many lookups. */
export const MAX_OCSP_CERT_IDS = 64;
/** RFC 8954 §2.1: a nonce has 1 to 32 octets. */
const MAX_NONCE_OCTETS = 32;
const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const CERT_ID_HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

interface ParsedRequest {
  readonly certIds: readonly pkijs.CertID[];
  /** The nonce extension's extnValue, echoed byte for byte. */
  readonly nonce: ArrayBuffer | undefined;
}

/**
 * An OCSP responder for one issuing CA (RFC 6960), as a function from request
 * DER to response DER. It never throws for what a client sends: a request it
 * cannot use gets a `malformedRequest` response, a failure on our side an
 * `internalError` response. The transport (RFC 6960 Appendix A) is the caller's.
 */
export class OcspResponder {
  readonly #issuer: pkijs.Certificate;
  readonly #signer: OcspSigner;
  readonly #signerCertificate: pkijs.Certificate;
  readonly #responderKeyHash: Uint8Array;
  readonly #lookup: (serialHex: string) => Promise<CertificateStatus>;
  readonly #now: () => Date;
  readonly #nextUpdateMs: number;
  readonly #onInternalError: ((error: unknown) => void) | undefined;
  readonly #issuerHashes = new Map<string, { name: Buffer; key: Buffer }>();

  constructor(options: OcspResponderOptions) {
    assertAuthorizedSigner(options.issuer, options.signer);
    const nextUpdateSeconds = options.nextUpdateSeconds ?? 3600;
    if (!(Number.isInteger(nextUpdateSeconds) && nextUpdateSeconds > 0)) {
      throw new RangeError('nextUpdateSeconds must be a positive integer');
    }
    this.#issuer = pkijs.Certificate.fromBER(new Uint8Array(options.issuer.certificate.rawData));
    this.#signer = options.signer;
    this.#signerCertificate = pkijs.Certificate.fromBER(new Uint8Array(options.signer.certificate.rawData));
    // RFC 6960 §4.2.1: KeyHash is the SHA-1 of the responder's public key bits.
    this.#responderKeyHash = createHash('sha1').update(publicKeyBits(this.#signerCertificate)).digest();
    this.#lookup = options.lookup;
    this.#now = options.now ?? (() => new Date());
    this.#nextUpdateMs = nextUpdateSeconds * 1000;
    this.#onInternalError = options.onInternalError;
  }

  /** Answers one DER-encoded OCSPRequest with a DER-encoded OCSPResponse. */
  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    const request = parseRequest(requestDer);
    if (request === undefined) return statusOnly(OCSP_RESPONSE_STATUS.malformedRequest);
    try {
      // Whole seconds: GeneralizedTime as RFC 5280 §4.1.2.5.2 profiles it (asn1js would write milliseconds).
      const now = new Date(Math.floor(this.#now().getTime() / 1000) * 1000);
      const signer = this.#signer.certificate;
      if (now < signer.notBefore || now > signer.notAfter) {
        throw new Error(`the OCSP signer certificate is not valid at ${now.toISOString()}`);
      }
      const responses: pkijs.SingleResponse[] = [];
      for (const certId of request.certIds) responses.push(await this.#singleResponse(certId, now));
      return await this.#signedResponse(responses, request.nonce, now);
    } catch (error) {
      this.#onInternalError?.(error);
      return statusOnly(OCSP_RESPONSE_STATUS.internalError);
    }
  }

  /**
   * Whether the request asks about a certificate of this responder's issuer:
   * with several issuing CAs, the panel picks the responder by it.
   */
  answersFor(requestDer: Uint8Array): boolean {
    return parseRequest(requestDer)?.certIds.some((certId) => this.#matchesIssuer(certId)) ?? false;
  }

  async #singleResponse(certId: pkijs.CertID, now: Date): Promise<pkijs.SingleResponse> {
    const serialHex = this.#matchesIssuer(certId) ? canonicalSerial(certId.serialNumber) : undefined;
    // RFC 6960 §2.2: another issuer's certificate, or no serial of ours, is "unknown".
    const status: CertificateStatus =
      serialHex === undefined ? { status: 'unknown' } : await this.#lookup(serialHex);
    return new pkijs.SingleResponse({
      certID: certId, // echoed as asked, hash algorithm included
      certStatus: encodeStatus(status),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + this.#nextUpdateMs),
    });
  }

  #matchesIssuer(certId: pkijs.CertID): boolean {
    const hash = CERT_ID_HASHES[certId.hashAlgorithm.algorithmId];
    if (hash === undefined) return false;
    let expected = this.#issuerHashes.get(hash);
    if (expected === undefined) {
      expected = {
        // RFC 6960 §4.1.1: hash of the issuer's DN, and of its public key bits (no tag, length, unused-bits).
        name: createHash(hash).update(new Uint8Array(this.#issuer.subject.toSchema().toBER())).digest(),
        key: createHash(hash).update(publicKeyBits(this.#issuer)).digest(),
      };
      this.#issuerHashes.set(hash, expected);
    }
    return (
      expected.name.equals(certId.issuerNameHash.valueBlock.valueHexView) &&
      expected.key.equals(certId.issuerKeyHash.valueBlock.valueHexView)
    );
  }

  async #signedResponse(
    responses: pkijs.SingleResponse[],
    nonce: ArrayBuffer | undefined,
    now: Date,
  ): Promise<Uint8Array> {
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: new pkijs.ResponseData({
        responderID: new asn1js.OctetString({ valueHex: this.#responderKeyHash }), // byKey
        producedAt: now,
        responses,
        // RFC 8954 §2.1: echo the request's nonce unchanged.
        ...(nonce === undefined
          ? {}
          : { responseExtensions: [new pkijs.Extension({ extnID: OID_OCSP_NONCE, extnValue: nonce })] }),
      }),
      certs: [this.#signerCertificate], // RFC 6960 §4.2.2.2: lets clients find the delegated responder
    });
    await basic.sign(
      this.#signer.privateKey,
      'SHA-256',
      new pkijs.CryptoEngine({ crypto: this.#signer.crypto }),
    );
    return new Uint8Array(
      new pkijs.OCSPResponse({
        responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS.successful }),
        responseBytes: new pkijs.ResponseBytes({
          responseType: OID_PKIX_OCSP_BASIC,
          response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
        }),
      })
        .toSchema()
        .toBER(),
    );
  }
}

/** Parses an OCSPRequest (RFC 6960 §4.1); undefined means malformed. */
function parseRequest(der: Uint8Array): ParsedRequest | undefined {
  if (der.byteLength === 0 || der.byteLength > MAX_OCSP_REQUEST_BYTES) return undefined;
  try {
    const asn1 = asn1js.fromBER(der, { maxDepth: 32, maxNodes: 4096, parseEmbedded: false });
    // Exactly one ASN.1 value, nothing after it.
    if (asn1.offset !== der.byteLength || asn1.result.error) return undefined;
    const tbs = new pkijs.OCSPRequest({ schema: asn1.result }).tbsRequest;
    if ((tbs.version ?? 0) !== 0) return undefined; // v1 is the only version
    const list = tbs.requestList;
    if (list.length === 0 || list.length > MAX_OCSP_CERT_IDS) return undefined;
    const extensions = tbs.requestExtensions ?? [];
    // RFC 6960 §4.4: a critical extension we do not understand cannot be ignored.
    const critical = [...extensions, ...list.flatMap((r) => r.singleRequestExtensions ?? [])].some(
      (e) => e.critical && e.extnID !== OID_OCSP_NONCE,
    );
    if (critical) return undefined;
    const nonces = extensions.filter((e) => e.extnID === OID_OCSP_NONCE);
    if (nonces.length > 1) return undefined;
    const nonce = nonces[0]?.extnValue.valueBlock.valueHexView;
    if (nonce !== undefined) {
      const length = nonceLength(nonce);
      if (length < 1 || length > MAX_NONCE_OCTETS) return undefined; // RFC 8954 §2.1
    }
    return {
      certIds: list.map((r) => r.reqCert),
      nonce: nonce === undefined ? undefined : nonce.slice().buffer,
    };
  } catch {
    return undefined;
  }
}

/**
 * The nonce's own length: RFC 6960 §4.4.1 wraps it in an OCTET STRING inside
 * extnValue (OpenSSL does); some clients put the bare octets there instead.
 */
function nonceLength(extnValue: Uint8Array): number {
  const inner = asn1js.fromBER(extnValue, { maxDepth: 2, parseEmbedded: false });
  if (inner.offset === extnValue.byteLength && inner.result instanceof asn1js.OctetString) {
    return inner.result.valueBlock.valueHexView.byteLength;
  }
  return extnValue.byteLength;
}

/**
 * The serial in the form `lookup` takes, or undefined for a serial none of
 * our certificates can have (empty, negative, or not minimally encoded DER).
 */
function canonicalSerial(serial: asn1js.Integer): string | undefined {
  const octets = serial.valueBlock.valueHexView;
  const first = octets[0];
  const second = octets[1];
  if (first === undefined || first >= 0x80) return undefined;
  if (first === 0 && second !== undefined && second < 0x80) return undefined;
  return normalizeSerial(Buffer.from(octets).toString('hex'));
}

function encodeStatus(status: CertificateStatus): asn1js.BaseBlock {
  switch (status.status) {
    case 'good': // good [0] IMPLICIT NULL
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
    case 'unknown': // unknown [2] IMPLICIT UnknownInfo (NULL)
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
    case 'revoked': {
      // revoked [1] IMPLICIT RevokedInfo; like the CRL, no reason rather than unspecified.
      const revokedAt = new Date(Math.floor(status.revokedAt.getTime() / 1000) * 1000);
      const reason =
        status.reason === 'unspecified'
          ? []
          : [
              new asn1js.Constructed({
                idBlock: { tagClass: 3, tagNumber: 0 },
                value: [new asn1js.Enumerated({ value: REVOCATION_REASON_CODES[status.reason] })],
              }),
            ];
      return new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 1 },
        value: [new asn1js.GeneralizedTime({ valueDate: revokedAt }), ...reason],
      });
    }
  }
}

function statusOnly(status: OcspResponseStatus): Uint8Array {
  const response = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return new Uint8Array(response.toSchema().toBER());
}

function publicKeyBits(certificate: pkijs.Certificate): Uint8Array {
  return certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
}

/**
 * RFC 6960 §4.2.2.2: only the CA itself, or a responder it issued with
 * id-kp-OCSPSigning, may answer for its certificates; clients reject anything else.
 */
function assertAuthorizedSigner(issuer: CertificateAuthority, signer: OcspSigner): void {
  if (Buffer.from(signer.certificate.rawData).equals(Buffer.from(issuer.certificate.rawData))) return;
  const eku = signer.certificate.getExtension(x509.ExtendedKeyUsageExtension);
  const delegated = eku?.usages.includes(x509.ExtendedKeyUsage.ocspSigning) ?? false;
  // The name alone cannot tell a re-keyed CA from its predecessor; the key identifiers can.
  const issuerKeyId = issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const signerIssuerKeyId = signer.certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const sameKey =
    issuerKeyId === undefined || signerIssuerKeyId === undefined || issuerKeyId === signerIssuerKeyId;
  if (signer.certificate.issuer !== issuer.certificate.subject || !sameKey || !delegated) {
    throw new TypeError('the OCSP signer must be the issuer or a responder it issued with id-kp-OCSPSigning');
  }
}
