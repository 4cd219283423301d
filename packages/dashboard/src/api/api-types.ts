/**
 * The shapes the operator API answers with (see /v1/openapi.json and the
 * route files under packages/server/src). Only what the dashboard reads.
 */

export type OperatorRole = 'viewer' | 'auditor' | 'operator' | 'admin';

export type Permission =
  | 'fleet:read'
  | 'fleet:manage'
  | 'events:read'
  | 'alerts:manage'
  | 'operators:read'
  | 'operators:manage'
  | 'audit:read'
  | 'siem:read'
  | 'siem:manage'
  | 'rules:manage'
  | 'policies:manage'
  | 'pki:manage'
  | 'tokens:manage-all'
  | 'attestation:manage';

export interface Me {
  readonly username: string;
  readonly role: OperatorRole;
  readonly permissions: readonly Permission[];
  readonly credential: 'session' | 'token';
  readonly mustChangePassword: boolean;
}

export interface LoginAnswer {
  readonly username: string;
  readonly role: OperatorRole;
  readonly mustChangePassword: boolean;
  readonly expiresAt: string;
  readonly csrfToken: string;
}

export const DEVICE_STATES = ['claimed', 'enrolled', 'revoked', 'decommissioned'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
export const SECURITY_LEVELS = ['SLB', 'SLE', 'SLC'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

export interface Device {
  readonly id: string;
  readonly group: string;
  readonly state: DeviceState;
  readonly idevidSerial: string | null;
  readonly idevidFingerprint: string | null;
  readonly manufacturer: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DeviceCertificate {
  readonly serial: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedVia: string;
  readonly keyAlgorithm: string;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
  readonly certificatePem: string;
}

export interface DeviceGroup {
  readonly name: string;
  readonly targetLevel: SecurityLevel;
  readonly requireChannelBinding: boolean;
  readonly manualApproval: boolean;
  readonly certificateValidityDays: number;
}

export interface Presence {
  readonly deviceId: string;
  readonly online: boolean;
  readonly lastSeenAt: string | null;
  readonly channelConnections: number;
  readonly lastConnectedAt: string | null;
  readonly lastDisconnectedAt: string | null;
  readonly agentVersion: string | null;
  readonly rootOfTrust: string | null;
  readonly hardwareBacked: boolean | null;
}

/** One inventory fact: known with a value, or unknown with the agent's reason. */
export type InventoryFact =
  | { readonly known: true; readonly value: unknown }
  | { readonly known: false; readonly reason: string };

export interface InventoryAnswer {
  readonly reportedAt: string | null;
  readonly inventory: Readonly<Record<string, InventoryFact | string>> | null;
}

export const POLICY_KINDS = [
  'crypto',
  'firewall',
  'monitoring',
  'attestation',
  'siem',
  'configuration',
] as const;

export type PolicyScope =
  | { readonly type: 'fleet' }
  | { readonly type: 'group'; readonly groupId: string }
  | { readonly type: 'tag'; readonly tag: string }
  | { readonly type: 'device'; readonly deviceId: string };

export interface EffectivePolicyAnswer {
  readonly effective: Readonly<Record<string, { readonly policyId: string; readonly scope: PolicyScope }>>;
  readonly desired: Readonly<
    Record<string, { readonly policyId: string; readonly version: number; readonly digest: string }>
  >;
  readonly reported: readonly {
    readonly kind: string;
    readonly policyId: string;
    readonly version: number;
    readonly state: string;
    readonly liveStateHash: string | null;
    readonly reportedAt: string;
    readonly message?: string;
  }[];
}

export interface AttestationVerdict {
  readonly id: string;
  readonly result: 'pass' | 'fail';
  readonly code: string | null;
  readonly message: string;
  readonly pcr: number | null;
  readonly eventIndex: number | null;
  readonly eventType: string | null;
  readonly createdAt: string;
}

export interface AttestationAnswer {
  readonly status: string;
  readonly lastPassAt: string | null;
  readonly lastVerdictAt: string | null;
  readonly quarantine: unknown;
  readonly verdicts: readonly AttestationVerdict[];
}

export interface SecurityEvent {
  readonly id: string;
  readonly source: 'device' | 'panel';
  readonly deviceId: string | null;
  readonly type: string;
  readonly severity: number;
  readonly controls: readonly string[];
  readonly message: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly fields: Readonly<Record<string, string | number | boolean>>;
}

export interface EventPage {
  readonly events: readonly SecurityEvent[];
  readonly nextCursor?: string | null;
}

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface AlertContext {
  readonly group: string | null;
  readonly targetLevel: string | null;
  readonly deviceState: string | null;
  readonly quarantined: boolean;
  readonly lastSeenAt: string | null;
  readonly agentVersion: string | null;
  readonly rootOfTrust: string | null;
  readonly lastAttestation?: { readonly status: string; readonly reason?: string };
  readonly recentChanges: readonly { readonly at: string; readonly action: string; readonly actor: string }[];
  readonly devices?: readonly string[];
}

export interface Alert {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly title: string;
  readonly severity: number;
  readonly controls: readonly string[];
  readonly subject: string;
  readonly deviceId: string | null;
  readonly group: string | null;
  readonly status: AlertStatus;
  readonly context: AlertContext;
  readonly firstEventAt: string;
  readonly lastEventAt: string;
  readonly raisedAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly note: string | null;
}

export interface AlertDetail extends Alert {
  readonly triggeringEvents: readonly SecurityEvent[];
}

export interface StoredRule {
  readonly id: string;
  readonly version: number;
  readonly document: Readonly<Record<string, unknown>> & {
    readonly title?: string;
    readonly enabled?: boolean;
    readonly severity?: number;
  };
  readonly updatedBy: string;
  readonly updatedAt: string;
}

export interface RuleVersion {
  readonly version: number;
  readonly document: Readonly<Record<string, unknown>>;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface PolicySummary {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly latestVersion: number;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

export interface PolicyDetail extends PolicySummary {
  readonly versions: readonly {
    readonly version: number;
    readonly digest: string;
    readonly publishedAt: string;
    readonly publishedBy: string;
  }[];
  readonly devices: readonly string[];
}

export interface PolicyEnvelope {
  readonly envelope: { readonly payload: { readonly document: unknown; readonly version: number } };
  readonly digest: string;
}

export interface PublishedVersion {
  readonly policyId: string;
  readonly version: number;
  readonly rolloutId: string;
}

export interface PolicyAssignment {
  readonly kind: string;
  readonly policyId: string;
  readonly scope: PolicyScope;
}

export type RolloutStatus = 'running' | 'paused' | 'completed' | 'cancelled';

export interface Rollout {
  readonly id: string;
  readonly policyId: string;
  readonly version: number;
  readonly previousVersion: number | null;
  readonly phases: readonly number[];
  readonly phase: number;
  readonly status: RolloutStatus;
  readonly failureThreshold: number;
  readonly soakSeconds: number;
  readonly phaseStartedAt: string;
  readonly statusReason: string | null;
}

export interface RolloutProgress extends Rollout {
  readonly devices: number;
  readonly inPhase: number;
  readonly applied: number;
  readonly failed: number;
  readonly pending: number;
}

export interface VersionReport {
  readonly deviceId: string;
  readonly state: string;
  readonly reportedAt: string;
}

export interface Manufacturer {
  readonly id: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly autoClaim: boolean;
  readonly defaultGroup: string;
  readonly createdAt: string;
}

export interface PendingEnrollment {
  readonly id: string;
  readonly deviceId: string;
  readonly operation: 'simpleenroll' | 'simplereenroll';
  readonly csrSha256: string;
  readonly status: 'pending' | 'approved' | 'rejected' | 'issued';
  readonly decidedBy: string | null;
  readonly createdAt: string;
  readonly decidedAt: string | null;
}

export interface EnrollmentToken {
  readonly token: string;
  readonly expiresAt: string;
}

export interface Operator {
  readonly id: string;
  readonly username: string;
  readonly role: OperatorRole;
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: 'success' | 'failure' | 'denied';
  readonly source: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly hash: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly head: string;
  readonly firstBreak?: { readonly seq: number; readonly reason: string };
}

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly owner: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revoked: boolean;
  readonly lastUsedAt: string | null;
}
