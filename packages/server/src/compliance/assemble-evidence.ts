/**
 * Rows of the evidence queries → one DeviceEvidence per device. Pure: the
 * same rows and context always give the same snapshots.
 */
import {
  type AttestationCheck,
  type AttestationEvidence,
  computeEffectivePolicies,
  type DeviceEvidence,
  isPolicyKind,
  type PolicyEvidence,
  type PolicyKind,
} from '@palisade/core';
import type {
  AttestationRow,
  CertificateRow,
  DeviceRow,
  PolicyStatusRow,
} from './device-evidence-queries.ts';
import type { EvaluationContext } from './evaluation-context.ts';
import { parsePlatformFacts } from './inventory-facts.ts';

export interface EvidenceRows {
  readonly devices: readonly DeviceRow[];
  readonly certificates: readonly CertificateRow[];
  readonly attestation: readonly AttestationRow[];
  readonly policyStatuses: readonly PolicyStatusRow[];
}

const CHECKS: readonly string[] = ['measured_boot', 'reference'] satisfies AttestationCheck[];

function byDevice<Row extends { device_id: string }>(rows: readonly Row[]): Map<string, Row[]> {
  const map = new Map<string, Row[]>();
  for (const row of rows) {
    const list = map.get(row.device_id);
    if (list) list.push(row);
    else map.set(row.device_id, [row]);
  }
  return map;
}

function certificateOf(row: CertificateRow | undefined): Pick<DeviceEvidence, 'certificate' | 'renewals'> {
  if (!row) return { renewals: { issued: 0, reenrollments: 0 } };
  return {
    certificate: {
      serial: row.serial,
      issuedVia: row.issued_via,
      issuedAt: row.issued_at,
      notBefore: row.not_before,
      notAfter: row.not_after,
      keyAlgorithm: row.key_algorithm,
      ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
      ...(row.revocation_reason ? { revocationReason: row.revocation_reason } : {}),
    },
    renewals: {
      issued: row.issued,
      reenrollments: row.reenrollments,
      ...(row.last_reenrolled_at ? { lastReenrolledAt: row.last_reenrolled_at } : {}),
    },
  };
}

function attestationOf(row: AttestationRow | undefined): AttestationEvidence | undefined {
  if (!row) return undefined;
  return {
    ...(row.key_id && row.key_activated_at
      ? {
          key: {
            id: row.key_id,
            boundAt: row.key_activated_at,
            ekCertified: row.ek_trust === 'certificate',
          },
        }
      : {}),
    ...(row.verdict_id && row.result && row.verdict_at
      ? {
          lastVerdict: {
            id: row.verdict_id,
            result: row.result,
            at: row.verdict_at,
            ...(row.component ? { component: row.component } : {}),
            ...(row.code ? { code: row.code } : {}),
            message: row.message ?? '',
            notRun: (row.not_run ?? []).filter((c): c is AttestationCheck => CHECKS.includes(c)),
          },
        }
      : {}),
    ...(row.last_pass_at ? { lastPassAt: row.last_pass_at } : {}),
  };
}

function platformOf(row: DeviceRow): Pick<DeviceEvidence, 'platform'> {
  if (row.inventory_record === null || row.inventory_at === null) return {};
  return {
    platform: {
      recordId: row.inventory_record,
      reportedAt: row.inventory_at,
      ...parsePlatformFacts({
        secureBoot: row.secure_boot,
        diskEncryption: row.disk_encryption,
        tpm: row.tpm,
      }),
    },
  };
}

/** The latest check-in's root of trust; `last_seen_at` also moves when the push channel opens or closes. */
function presenceOf(row: DeviceRow): Pick<DeviceEvidence, 'lastContactAt' | 'rootOfTrust'> {
  if (!row.last_seen_at) return {};
  return {
    lastContactAt: row.last_seen_at,
    ...(row.root_of_trust !== null
      ? {
          rootOfTrust: {
            kind: row.root_of_trust,
            hardwareBacked: row.hardware_backed === true,
            reportedAt: row.last_seen_at,
          },
        }
      : {}),
  };
}

export function assembleEvidence(rows: EvidenceRows, context: EvaluationContext): DeviceEvidence[] {
  const certificates = byDevice(rows.certificates);
  const attestation = byDevice(rows.attestation);
  const statuses = byDevice(rows.policyStatuses);
  const effective = computeEffectivePolicies(
    rows.devices.map((d) => ({ id: d.id, groupId: d.group_name, tags: d.tags })),
    context.assignments,
  ).byDevice;
  return rows.devices.map((row) => {
    const policies: Partial<Record<PolicyKind, PolicyEvidence>> = {};
    for (const [kind, source] of Object.entries(effective.get(row.id) ?? {})) {
      const published = source && context.policies.get(source.policyId);
      if (!published || !isPolicyKind(kind)) continue;
      policies[kind] = {
        assigned: {
          policyId: published.id,
          name: published.name,
          version: published.latestVersion,
          ...(published.deviceRules === undefined ? {} : { deviceRules: published.deviceRules }),
        },
      };
    }
    for (const status of statuses.get(row.id) ?? []) {
      if (!isPolicyKind(status.kind)) continue;
      policies[status.kind] = {
        ...policies[status.kind],
        report: {
          policyId: status.policy_id,
          version: status.version,
          state: status.state,
          reportedAt: status.reported_at,
          ...(status.live_hash !== null ? { liveStateHash: status.live_hash } : {}),
          ...(status.message !== null ? { message: status.message } : {}),
        },
      };
    }
    const attested = attestationOf(attestation.get(row.id)?.[0]);
    return {
      deviceId: row.id,
      group: row.group_name,
      state: row.state,
      ...(row.quarantined_at
        ? { quarantine: { at: row.quarantined_at, reason: row.quarantine_reason ?? '' } }
        : {}),
      ...presenceOf(row),
      ...certificateOf(certificates.get(row.id)?.[0]),
      ...(row.manufacturer !== null
        ? {
            idevid: {
              manufacturer: row.manufacturer,
              ...(row.idevid_serial !== null ? { serial: row.idevid_serial } : {}),
              chainStored: row.chain_stored,
            },
          }
        : {}),
      ...(attested ? { attestation: attested } : {}),
      ...platformOf(row),
      policies,
      fleet: context.fleet,
    };
  });
}
