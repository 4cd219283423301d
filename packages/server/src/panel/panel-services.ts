import { randomUUID } from 'node:crypto';
import type { PanelReachability } from '@palisade/core';
import { AttestationService } from '../attestation/index.ts';
import { AuditLog } from '../audit/index.ts';
import { DevicePresence, PushHub } from '../channel/index.ts';
import { ComplianceService } from '../compliance/index.ts';
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
import type { CaHierarchy, CaKeySource, RevocationEndpoints } from '../pki/index.ts';
import {
  ensurePolicySigning,
  PolicyAssignments,
  PolicyDelivery,
  PolicyRollouts,
  PolicyStore,
} from '../policies/index.ts';
import { buildIssuerRevocation, reissueCrls } from '../revocation/index.ts';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from '../security/index.ts';
import { ExporterQueue } from '../siem/index.ts';
import { DEVICE_TLS_GROUPS } from './device-app.ts';
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
  /** The CA's key store: the policy signing key lives there too. */
  readonly keys: CaKeySource;
  /** The file key store's passphrase (ML-DSA policy keys are file keys); undefined with PKCS#11. */
  readonly keyPassphrase: string | undefined;
  /** Where devices reach the panel, once the listeners are bound (firewall authoring checks). */
  readonly panelReachability: () => PanelReachability;
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
  const signing = await ensurePolicySigning(db, input.keys, input.keyPassphrase);
  const policyStore = new PolicyStore(db, audit, {
    signing: () => signing,
    panel: input.panelReachability,
    now,
  });
  const policyAssignments = new PolicyAssignments(db, audit, now);
  const policyRollouts = new PolicyRollouts(db, audit, policyAssignments, now);
  const eventPipeline = new EventPipeline(db, eventStore, (tx, events) => exports.enqueueIn(tx, events));
  const panelEvents = new PanelEvents(eventPipeline, now, input.onInternalError);
  const policyDelivery = new PolicyDelivery({
    db,
    assignments: policyAssignments,
    rollouts: policyRollouts,
    trust: () => signing.trust,
    events: panelEvents,
    now,
  });
  const rules = new RuleStore(db, audit, now);
  const attestation = new AttestationService({
    db,
    audit,
    devices,
    pipeline: eventPipeline,
    panelEvents,
    now,
  });
  const ingest = new ReportIngest(db, now, eventPipeline);
  const compliance = new ComplianceService({
    db,
    audit,
    devices,
    attestation,
    policies: policyStore,
    policyAssignments,
    policyDelivery,
    exports,
    rules,
    ca,
    now,
    organization: config.organization,
    postQuantumGroup: DEVICE_TLS_GROUPS.split(':')[0],
  });
  // Evidence changes the compliance context re-evaluates at once (the device listener adds its own).
  devices.onRevocation(async (revoked) => compliance.evidenceChanged(revoked.map((r) => r.deviceId)));
  devices.onCertificateRecorded((tx, deviceId) => compliance.notifyIn(tx, [deviceId]));
  ingest.onReports((deviceId, reports) => {
    if (reports.some((r) => r.kind === 'inventory' || r.kind === 'state'))
      compliance.evidenceChanged([deviceId]);
  });
  return {
    policies: policyStore,
    policyAssignments,
    policyRollouts,
    policyDelivery,
    rules,
    compliance,
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
    panelEvents,
    attestation,
    presence: new DevicePresence(db, { now, heartbeatSeconds: config.heartbeatSeconds }),
    hub: new PushHub(),
    exports,
    ocspCache: revocation.ocsp,
    ingest,
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

/** One round of the policy rollouts: devices of a new phase are told, pauses become events. */
export async function advancePolicyRollouts(services: PanelServices): Promise<void> {
  const { moves, paused } = await services.policyRollouts.advance();
  if (moves.length > 0 || paused.length > 0) services.policyDelivery.invalidate();
  for (const move of moves)
    await services.hub.publishMany(move.devices, { type: 'desired-state-changed', reason: move.reason });
  for (const rollout of paused)
    await services.panelEvents.record({
      type: 'policy.rollout_paused',
      message: `policy rollout ${rollout.id} paused: ${rollout.statusReason ?? ''}`,
      fields: {
        rolloutId: rollout.id,
        policyId: rollout.policyId,
        version: rollout.version,
        reason: rollout.statusReason ?? '',
      },
    });
}
