/**
 * What holds for a whole evaluation rather than per device: the groups
 * (target level, attestation profile), the published policies and their
 * assignments, and the fleet facts (SIEM exporters, detection rules, the
 * panel's post-quantum readiness). Read once per evaluation through the
 * owning contexts' services, so a full pass costs a handful of queries here.
 */
import type {
  FleetEvidence,
  GroupContext,
  PolicyAssignment,
  PolicyKind,
  SecurityLevel,
} from '@palisade/core';
import { type AttestationService, DEFAULT_ATTESTATION_PROFILE } from '../attestation/index.ts';
import type { Db } from '../db/index.ts';
import type { RuleStore } from '../detection/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import type { PolicyAssignments, PolicyDelivery, PolicyStore } from '../policies/index.ts';
import type { ExporterQueue } from '../siem/index.ts';

export interface PublishedPolicy {
  readonly id: string;
  readonly kind: PolicyKind;
  readonly name: string;
  readonly latestVersion: number;
  /** siem policies: the device-evaluable rules of the latest version. */
  readonly deviceRules?: number;
}

export interface EvaluationGroup {
  readonly target: SecurityLevel;
  readonly context: GroupContext;
}

export interface EvaluationContext {
  readonly fleet: FleetEvidence;
  /** The attestation profile of a group without one. */
  readonly defaultAttestation: Pick<GroupContext, 'attestationMaxAgeSeconds' | 'attestationActionOnFailure'>;
  readonly groups: ReadonlyMap<string, EvaluationGroup>;
  readonly policies: ReadonlyMap<string, PublishedPolicy>;
  readonly assignments: readonly PolicyAssignment[];
}

/** The services the compliance context reads evidence through. */
export interface EvidenceSources {
  readonly db: Db;
  readonly devices: DeviceRegistry;
  readonly attestation: AttestationService;
  readonly policies: PolicyStore;
  readonly policyAssignments: PolicyAssignments;
  readonly policyDelivery: PolicyDelivery;
  readonly exports: ExporterQueue;
  readonly rules: RuleStore;
  /** The TLS group the device listener offers first when it is a hybrid post-quantum one. */
  readonly postQuantumGroup: string | undefined;
}

export async function loadEvaluationContext(sources: EvidenceSources): Promise<EvaluationContext> {
  const [groups, policies, assignments, fleet] = await Promise.all([
    loadGroups(sources),
    loadPolicies(sources),
    sources.policyAssignments.list(),
    loadFleet(sources),
  ]);
  return {
    groups,
    policies,
    assignments,
    fleet,
    defaultAttestation: {
      attestationMaxAgeSeconds: DEFAULT_ATTESTATION_PROFILE.maxAgeSeconds,
      attestationActionOnFailure: DEFAULT_ATTESTATION_PROFILE.actionOnFailure,
    },
  };
}

async function loadGroups(sources: EvidenceSources): Promise<Map<string, EvaluationGroup>> {
  const groups = new Map<string, EvaluationGroup>();
  for (const group of await sources.devices.groups()) {
    const profile = await sources.attestation.profiles.profileFor(group.name);
    groups.set(group.name, {
      target: group.targetLevel,
      context: {
        name: group.name,
        attestationMaxAgeSeconds: profile.maxAgeSeconds,
        attestationActionOnFailure: profile.actionOnFailure,
      },
    });
  }
  return groups;
}

async function loadPolicies(sources: EvidenceSources): Promise<Map<string, PublishedPolicy>> {
  const policies = new Map<string, PublishedPolicy>();
  for (const summary of await sources.policies.list()) {
    let deviceRules: number | undefined;
    if (summary.kind === 'siem') {
      const { envelope } = await sources.policies.envelope(summary.id, summary.latestVersion);
      const payload = envelope.payload;
      deviceRules = payload.kind === 'siem' ? payload.document.rules.length : 0;
    }
    policies.set(summary.id, {
      id: summary.id,
      kind: summary.kind,
      name: summary.name,
      latestVersion: summary.latestVersion,
      ...(deviceRules === undefined ? {} : { deviceRules }),
    });
  }
  return policies;
}

async function loadFleet(sources: EvidenceSources): Promise<FleetEvidence> {
  // ExporterQueue.lag answers the queues but not which exporters exist: the list is read here.
  const [lag, exporters, rules] = await Promise.all([
    sources.exports.lag(),
    sources.db.query<{ id: string; name: string; kind: string; enabled: boolean }>(
      'SELECT id::text AS id, name, kind, enabled FROM siem_exporters ORDER BY name',
    ),
    sources.rules.enabled(),
  ]);
  const lagById = new Map(lag.map((l) => [l.exporterId, l]));
  const algorithms = [...new Set(sources.policyDelivery.trust().keys.map((k) => k.algorithm))].sort();
  return {
    exporters: exporters.rows.map((row) => {
      const queue = lagById.get(row.id);
      return {
        id: row.id,
        name: row.name,
        kind: row.kind,
        enabled: row.enabled,
        pending: queue?.pending ?? 0,
        ...(queue?.oldestEnqueuedAt ? { oldestPendingAt: queue.oldestEnqueuedAt } : {}),
        ...(queue?.lastDeliveredAt ? { lastDeliveredAt: queue.lastDeliveredAt } : {}),
        ...(queue?.lastError ? { lastError: queue.lastError } : {}),
      };
    }),
    panelRules: rules.length,
    // The detection context is part of every panel: its alerts carry the events and the device's context.
    alertsWithContext: true,
    ...(sources.postQuantumGroup ? { postQuantumGroup: sources.postQuantumGroup } : {}),
    policySignatureAlgorithms: algorithms,
  };
}
