import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { x509 } from './x509.ts';

/** CRLReason (RFC 5280 §5.3.1), by its ASN.1 name. */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/** RFC 5280 §5.3.1 CRLReason codes; value 7 is not used. */
export const REVOCATION_REASON_CODES: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export interface RevokedEntry {
  /** The serial number in hex, as `normalizeSerial` or `X509Certificate.serialNumber` spell it (case and leading zeros ignored). */
  readonly serialHex: string;
  readonly revokedAt: Date;
  readonly reason: RevocationReason;
}

export interface CrlContents {
  /** RFC 5280 §5.2.3: monotonically increasing, non-negative, at most 20 octets. */
  readonly crlNumber: bigint | number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly revoked: readonly RevokedEntry[];
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
const OID_CRL_REASON = '2.5.29.21';
const MAX_CRL_NUMBER = 1n << 159n;

/**
 * Builds a complete (not delta) v2 CRL signed with ECDSA-SHA256 by `authority`,
 * through `authority.crypto` (RFC 5280 §5). Returns DER.
 *
 * Throws RangeError on caller mistakes: an out-of-range CRL number, dates out of
 * order, an invalid or repeated serial, or `removeFromCRL` (delta CRLs only).
 */
export async function buildCrl(authority: CertificateAuthority, contents: CrlContents): Promise<Uint8Array> {
  const crlNumber = BigInt(contents.crlNumber);
  if (crlNumber < 0n || crlNumber >= MAX_CRL_NUMBER) {
    throw new RangeError('the CRL number must be a non-negative integer of at most 20 octets');
  }
  const thisUpdate = wholeSeconds(contents.thisUpdate, 'thisUpdate');
  const nextUpdate = wholeSeconds(contents.nextUpdate, 'nextUpdate');
  if (nextUpdate <= thisUpdate) throw new RangeError('nextUpdate must be later than thisUpdate');

  const issuerCertificate = pkijs.Certificate.fromBER(new Uint8Array(authority.certificate.rawData));
  const seen = new Set<string>();
  const revoked = contents.revoked.map((entry) => {
    if (entry.reason === 'removeFromCRL') {
      // RFC 5280 §5.3.1: removeFromCRL appears only in delta CRLs.
      throw new RangeError('removeFromCRL belongs in a delta CRL, not in a complete CRL');
    }
    const serial = serialOctets(entry.serialHex);
    const key = Buffer.from(serial).toString('hex');
    if (seen.has(key)) throw new RangeError(`serial ${entry.serialHex} is listed twice`);
    seen.add(key);
    return new pkijs.RevokedCertificate({
      userCertificate: new asn1js.Integer({ valueHex: serial }),
      revocationDate: pkiTime(wholeSeconds(entry.revokedAt, 'revokedAt')),
      // RFC 5280 §5.3.1: omit the reason code rather than use unspecified (0).
      ...(entry.reason === 'unspecified'
        ? {}
        : {
            crlEntryExtensions: new pkijs.Extensions({
              extensions: [
                new pkijs.Extension({
                  extnID: OID_CRL_REASON,
                  critical: false,
                  extnValue: new asn1js.Enumerated({ value: REVOCATION_REASON_CODES[entry.reason] }).toBER(),
                }),
              ],
            }),
          }),
    });
  });

  const crl = new pkijs.CertificateRevocationList({
    version: 1, // v2: RFC 5280 §5.1.2.1, required with extensions
    issuer: issuerCertificate.subject,
    thisUpdate: pkiTime(thisUpdate),
    nextUpdate: pkiTime(nextUpdate), // RFC 5280 §5.1.2.5: conforming issuers MUST include it
    // RFC 5280 §5.1.2.6: with no revoked certificates the list MUST be absent, not empty.
    ...(revoked.length > 0 ? { revokedCertificates: revoked } : {}),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        // RFC 5280 §5.2.1 and §5.2.3: both MUST be present, both non-critical.
        new pkijs.Extension({
          extnID: OID_AUTHORITY_KEY_IDENTIFIER,
          critical: false,
          extnValue: new pkijs.AuthorityKeyIdentifier({
            keyIdentifier: new asn1js.OctetString({ valueHex: await keyIdentifier(authority) }),
          })
            .toSchema()
            .toBER(),
        }),
        new pkijs.Extension({
          extnID: OID_CRL_NUMBER,
          critical: false,
          extnValue: new asn1js.Integer({ valueHex: unsignedOctets(crlNumber) }).toBER(),
        }),
      ],
    }),
  });
  await crl.sign(authority.privateKey, 'SHA-256', new pkijs.CryptoEngine({ crypto: authority.crypto }));
  return new Uint8Array(crl.toSchema().toBER());
}

/** PEM with the `X509 CRL` label OpenSSL expects (@peculiar/x509 writes a different one). */
export function crlToPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n`;
}

/** The issuer's subject key identifier, or RFC 5280 §4.2.1.2 method (1) when it has none. */
async function keyIdentifier(authority: CertificateAuthority): Promise<Uint8Array> {
  const ski = authority.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return Buffer.from(ski.keyId, 'hex');
  return new Uint8Array(await authority.certificate.publicKey.getKeyIdentifier('SHA-1'));
}

/**
 * The DER INTEGER contents of a positive serial given in hex: leading zeros
 * dropped, one zero octet put back when the top bit is set.
 */
function serialOctets(serialHex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{1,128}$/.test(serialHex)) throw new RangeError(`invalid serial number: ${serialHex}`);
  return unsignedOctets(BigInt(`0x${serialHex}`));
}

function unsignedOctets(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return Buffer.from(hex, 'hex');
}

function wholeSeconds(date: Date, field: string): Date {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError(`${field} is not a valid date`);
  return new Date(Math.floor(time / 1000) * 1000);
}

/** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. */
function pkiTime(date: Date): pkijs.Time {
  const year = date.getUTCFullYear();
  return new pkijs.Time({ type: year >= 1950 && year < 2050 ? 0 : 1, value: date });
}
