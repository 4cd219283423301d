import { randomUUID } from 'node:crypto';
import { AuditLog } from '../audit/index.ts';
import { DevicePresence, PushHub } from '../channel/index.ts';
import type { PanelConfig } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { AlertStore, DetectionQueue, RuleStore } from '../detection/index.ts';
import { DeviceRegistry, EnrollmentTokens, ManufacturerTrust, PendingEnrollments } from '../devices/index.ts';
import { DevicePeers, EstService } from '../est/index.ts';
import {
  EventPartitions,
  EventPipeline,
  EventStore,
  EventStream,
  PanelEvents,
  ReportIngest,
} from '../events/index.ts';
import { OperatorCredentials, OperatorDirectory } from '../operators/index.ts';
import type { CaHierarchy, RevocationEndpoints } from '../pki/index.ts';
import { buildIssuerRevocation, reissueCrls } from '../revocation/index.ts';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from '../security/index.ts';
import { ExporterQueue } from '../siem/index.ts';
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
  // CRL and OCSP for every issuing CA still in use: the current one and those retired by a rotation.
  const revocation = await buildIssuerRevocation({
    db,
    root: ca.root,
    issuers: ca.issuers,
    records: devices,
    now,
    ocspCacheMs: OCSP_CACHE_MS,
    onInternalError: input.onInternalError,
  });
  // The revocation is committed; make it visible in the CRLs and in this replica's OCSP answers at once.
  devices.onRevocation(async () => {
    revocation.ocsp.invalidate();
    await reissueCrls(revocation);
  });
  const operators = new OperatorDirectory(db, audit);
  const credentials = new OperatorCredentials(
    db,
    audit,
    throttle,
    { ttlSeconds: config.sessionTtlSeconds, idleSeconds: config.sessionIdleSeconds },
    now,
  );
  operators.onCredentialsChange((operatorId) => credentials.forgetOperator(operatorId));
  const exports = new ExporterQueue(db, { owner: randomUUID() });
  const eventStore = new EventStore(db);
  const eventPipeline = new EventPipeline(db, eventStore, (tx, events) => exports.enqueueIn(tx, events));
  return {
    rules: new RuleStore(db, audit, now),
    alerts: new AlertStore(db, audit, now),
    detectionQueue: new DetectionQueue(db),
    eventStore,
    eventPipeline,
    eventStream: new EventStream(db, eventStore),
    eventPartitions: new EventPartitions(db, {
      now,
      retention: {
        lowDays: config.eventRetentionLowDays,
        mediumDays: config.eventRetentionMediumDays,
        highDays: config.eventRetentionHighDays,
      },
    }),
    panelEvents: new PanelEvents(eventPipeline, now, input.onInternalError),
    presence: new DevicePresence(db, { now, heartbeatSeconds: config.heartbeatSeconds }),
    hub: new PushHub(),
    exports,
    ocspCache: revocation.ocsp,
    ingest: new ReportIngest(db, now, eventPipeline),
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
    devicePeers: new DevicePeers(devices, ca.issuers),
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
