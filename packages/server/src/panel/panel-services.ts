import { AuditLog } from '../audit/index.ts';
import type { PanelConfig } from '../config/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { DeviceRegistry, EnrollmentTokens, ManufacturerTrust, PendingEnrollments } from '../devices/index.ts';
import { DevicePeers, EstService } from '../est/index.ts';
import { OperatorCredentials, OperatorDirectory } from '../operators/index.ts';
import {
  type CaHierarchy,
  type CertificateStatus,
  CrlPublisher,
  issueOcspSigner,
  normalizeSerial,
  OcspResponder,
  type RevocationEndpoints,
  type RevocationReason,
} from '../pki/index.ts';
import { OcspResponseCache } from '../revocation/index.ts';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from '../security/index.ts';
import type { PanelServices } from './services.ts';

/**
 * How long an OCSP answer to a nonce-less request is reused: revocations made
 * on another replica show within it (the issue asks for one second).
 */
const OCSP_CACHE_MS = 1_000;

/** Failed EST token attempts one address may make before its token enrollments pause for 5 minutes. */
export const EST_SOURCE_MAX_FAILURES = 50;

/** Wires the bounded contexts together: each gets the database, the audit log and the services it calls. */
export async function buildPanelServices(input: {
  readonly db: Db;
  readonly config: PanelConfig;
  readonly ca: CaHierarchy;
  readonly endpoints: () => RevocationEndpoints;
  readonly now: () => Date;
  readonly onInternalError: (error: unknown) => void;
}): Promise<PanelServices> {
  const { db, config, ca, now } = input;
  const audit = new AuditLog(db, { now });
  const throttle = new LoginThrottle(
    {
      ...DEFAULT_LOGIN_THROTTLE,
      maxFailures: config.loginMaxFailures,
      lockoutSeconds: config.loginLockoutSeconds,
    },
    now,
  );
  const devices = new DeviceRegistry(db, audit);
  const enrollmentTokens = new EnrollmentTokens(db, audit, now);
  const manufacturers = new ManufacturerTrust(db, audit);
  const pendingEnrollments = new PendingEnrollments(db, audit);
  // A delegated OCSP responder (RFC 6960 §4.2.2.2) per process: its key stays in memory, the CA key signs it once.
  const ocspSigner = await issueOcspSigner(ca.issuing, { validityDays: 30, now: now() });
  const responder = new OcspResponder({
    issuer: ca.issuing,
    signer: ocspSigner,
    now,
    lookup: async (serialHex: string): Promise<CertificateStatus> => {
      const record = await devices.certificate(normalizeSerial(serialHex));
      if (!record) return { status: 'unknown' };
      if (record.revokedAt === null) return { status: 'good' };
      return {
        status: 'revoked',
        revokedAt: new Date(record.revokedAt),
        reason: (record.revocationReason ?? 'unspecified') as RevocationReason,
      };
    },
    onInternalError: input.onInternalError,
  });
  const ocsp = new OcspResponseCache((request) => responder.respond(request), { ttlMs: OCSP_CACHE_MS });
  const crl = new CrlPublisher({
    db,
    issuer: ca.issuing,
    now,
    revoked: async (at: Date, tx: Queryable) =>
      (await devices.revokedUnexpired(at, tx)).map((r) => ({
        serialHex: r.serial,
        revokedAt: r.revokedAt,
        reason: r.reason as RevocationReason,
      })),
  });
  // The revocation is committed; make it visible in the CRL and in this replica's OCSP answers at once.
  devices.onRevocation(async () => {
    ocsp.invalidate();
    await crl.reissue();
  });
  const revocation = { issuing: ca.issuing, root: ca.root, crl, ocsp };
  const operators = new OperatorDirectory(db, audit);
  const credentials = new OperatorCredentials(
    db,
    audit,
    throttle,
    { ttlSeconds: config.sessionTtlSeconds, idleSeconds: config.sessionIdleSeconds },
    now,
  );
  operators.onCredentialsChange((operatorId) => credentials.forgetOperator(operatorId));
  return {
    revocation,
    db,
    audit,
    ca,
    operators,
    credentials,
    devices,
    enrollmentTokens,
    manufacturers,
    pendingEnrollments,
    devicePeers: new DevicePeers(devices, ca.issuing),
    est: new EstService({
      db,
      audit,
      registry: devices,
      tokens: enrollmentTokens,
      manufacturers,
      pending: pendingEnrollments,
      throttle,
      sourceThrottle: new LoginThrottle(
        { ...DEFAULT_LOGIN_THROTTLE, maxFailures: EST_SOURCE_MAX_FAILURES, lockoutSeconds: 300 },
        now,
      ),
      issuing: ca.issuing,
      root: ca.root,
      endpoints: input.endpoints,
      now,
    }),
  };
}
