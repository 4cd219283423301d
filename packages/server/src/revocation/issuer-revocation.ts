import type { Db, Queryable } from '../db/index.ts';
import {
  type CaCertificate,
  type CertificateAuthority,
  type CertificateStatus,
  CrlPublisher,
  issueOcspSigner,
  normalizeSerial,
  OcspResponder,
  OcspResponders,
  type RevocationReason,
} from '../pki/index.ts';
import { OcspResponseCache } from './ocsp-response-cache.ts';
import { issuerPathName, type RevocationRouteServices } from './revocation-routes.ts';

/** What revocation needs to know about issued certificates (the device registry provides it). */
export interface CertificateRecords {
  certificate(serial: string): Promise<
    | {
        readonly revokedAt: string | null;
        readonly revocationReason: string | null;
        /** Null: issued before issuers were recorded, i.e. by the current issuing CA until a rotation. */
        readonly issuerSerial: string | null;
      }
    | undefined
  >;
  revokedUnexpired(
    now: Date,
    tx: Queryable,
    issuer: { readonly serial: string; readonly includeUnrecorded: boolean },
  ): Promise<Array<{ serial: string; revokedAt: Date; reason: string }>>;
}

export interface IssuerRevocation extends RevocationRouteServices {
  readonly ocsp: OcspResponseCache;
}

/**
 * CRL and OCSP for every issuing CA still in use (`issuers`, the current one
 * first): each issuer signs its own CRL, stored under `issuing-<serial>`, and
 * a delegated OCSP responder of its own (RFC 6960 §4.2.2.2; one per process,
 * its key only in memory). A certificate is answered for only by the
 * issuer that signed it.
 */
export async function buildIssuerRevocation(input: {
  readonly db: Db;
  readonly root: CaCertificate;
  readonly issuers: readonly CertificateAuthority[];
  readonly records: CertificateRecords;
  readonly now: () => Date;
  /** How long an answer to a nonce-less OCSP request is reused. */
  readonly ocspCacheMs: number;
  readonly onInternalError: (error: unknown) => void;
}): Promise<IssuerRevocation> {
  const { db, records, now } = input;
  const [current] = input.issuers;
  if (current === undefined) throw new RangeError('at least one issuing CA is needed');
  const currentSerial = normalizeSerial(current.certificate.serialNumber);
  const responders: OcspResponder[] = [];
  const issuers: Array<{ issuer: CertificateAuthority; crl: CrlPublisher }> = [];
  for (const issuer of input.issuers) {
    const serial = normalizeSerial(issuer.certificate.serialNumber);
    const ownedBy = (recorded: string | null) => (recorded ?? currentSerial) === serial;
    responders.push(
      new OcspResponder({
        issuer,
        signer: await issueOcspSigner(issuer, { validityDays: 30, now: now() }),
        now,
        lookup: async (serialHex: string): Promise<CertificateStatus> => {
          const record = await records.certificate(normalizeSerial(serialHex));
          // RFC 6960 §2.2: a serial that another of our issuers signed is not this issuer's: unknown.
          if (!record || !ownedBy(record.issuerSerial)) return { status: 'unknown' };
          if (record.revokedAt === null) return { status: 'good' };
          return {
            status: 'revoked',
            revokedAt: new Date(record.revokedAt),
            reason: (record.revocationReason ?? 'unspecified') as RevocationReason,
          };
        },
        onInternalError: input.onInternalError,
      }),
    );
    const crl = new CrlPublisher({
      db,
      issuer,
      key: issuerPathName(issuer),
      now,
      revoked: async (at: Date, tx: Queryable) =>
        (await records.revokedUnexpired(at, tx, { serial, includeUnrecorded: serial === currentSerial })).map(
          (r) => ({ serialHex: r.serial, revokedAt: r.revokedAt, reason: r.reason as RevocationReason }),
        ),
    });
    issuers.push({ issuer, crl });
  }
  const dispatcher = new OcspResponders(responders);
  return {
    issuing: current,
    root: input.root,
    crl: (issuers[0] as { crl: CrlPublisher }).crl,
    issuers,
    ocsp: new OcspResponseCache((request) => dispatcher.respond(request), { ttlMs: input.ocspCacheMs }),
  };
}

/** Keeps every issuer's CRL ahead of its nextUpdate; replicas agree through the CRL lock. */
export async function refreshCrls(revocation: RevocationRouteServices): Promise<void> {
  for (const { crl } of revocation.issuers) await crl.current();
}

/** After a revocation: every issuer's CRL is published again, so the revoked serial shows at once. */
export async function reissueCrls(revocation: RevocationRouteServices): Promise<void> {
  for (const { crl } of revocation.issuers) await crl.reissue();
}
