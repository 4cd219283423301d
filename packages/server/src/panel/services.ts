import type { AttestationService } from '../attestation/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { DevicePresence, PushHub } from '../channel/index.ts';
import type { ComplianceService } from '../compliance/index.ts';
import type { Db } from '../db/index.ts';
import type { AlertStore, DetectionQueue, RuleStore } from '../detection/index.ts';
import type {
  DeviceRegistry,
  EnrollmentTokens,
  ManufacturerTrust,
  PendingEnrollments,
} from '../devices/index.ts';
import type { DevicePeers, EstService } from '../est/index.ts';
import type {
  EventPartitions,
  EventPipeline,
  EventStore,
  EventStream,
  PanelEvents,
  ReportIngest,
} from '../events/index.ts';
import type { OperatorCredentials, OperatorDirectory } from '../operators/index.ts';
import type { CaHierarchy } from '../pki/index.ts';
import type { PolicyAssignments, PolicyDelivery, PolicyRollouts, PolicyStore } from '../policies/index.ts';
import type { RevocationRouteServices } from '../revocation/index.ts';
import type { ExporterQueue } from '../siem/index.ts';

/** The panel's context services, built once at start and handed to the routes. */
export interface PanelServices {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly operators: OperatorDirectory;
  readonly credentials: OperatorCredentials;
  readonly ca: CaHierarchy;
  readonly devices: DeviceRegistry;
  readonly enrollmentTokens: EnrollmentTokens;
  readonly manufacturers: ManufacturerTrust;
  readonly pendingEnrollments: PendingEnrollments;
  readonly est: EstService;
  readonly devicePeers: DevicePeers;
  readonly revocation: RevocationRouteServices;
  readonly presence: DevicePresence;
  readonly hub: PushHub;
  readonly ingest: ReportIngest;
  readonly eventStore: EventStore;
  readonly eventPipeline: EventPipeline;
  readonly eventStream: EventStream;
  readonly eventPartitions: EventPartitions;
  readonly panelEvents: PanelEvents;
  readonly rules: RuleStore;
  readonly policies: PolicyStore;
  readonly policyAssignments: PolicyAssignments;
  readonly policyRollouts: PolicyRollouts;
  readonly policyDelivery: PolicyDelivery;
  readonly alerts: AlertStore;
  readonly detectionQueue: DetectionQueue;
  readonly exports: ExporterQueue;
  /** Drops this replica's cached OCSP answers (a revocation committed elsewhere). */
  readonly ocspCache: { invalidate(): void };
  readonly attestation: AttestationService;
  readonly compliance: ComplianceService;
}
