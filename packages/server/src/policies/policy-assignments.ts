import {
  computeEffectivePolicies,
  type DevicePolicies,
  diffEffectivePolicies,
  type EffectivePolicies,
  type FleetDevice,
  type PolicyAssignment,
  type PolicyKind,
  type PolicyScope,
} from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { PoliciesError } from './policies-error.ts';
import { notifyPolicyChange } from './policy-change.ts';
import type { PolicyActor } from './policy-store.ts';

interface AssignmentRow {
  kind: PolicyKind;
  scope_type: PolicyScope['type'];
  scope_value: string;
  policy_id: string;
}

export function scopeValue(scope: PolicyScope): string {
  switch (scope.type) {
    case 'fleet':
      return '';
    case 'group':
      return scope.groupId;
    case 'tag':
      return scope.tag;
    case 'device':
      return scope.deviceId;
  }
}

function scopeOf(type: PolicyScope['type'], value: string): PolicyScope {
  switch (type) {
    case 'fleet':
      return { type };
    case 'group':
      return { type, groupId: value };
    case 'tag':
      return { type, tag: value };
    case 'device':
      return { type, deviceId: value };
  }
}

/**
 * Which policy applies where (PD-1): one policy per kind per scope, resolved
 * per device by precedence device > tag > group > fleet (`@palisade/core`
 * computeEffectivePolicies, which also reports tie-breaks between tags).
 */
export class PolicyAssignments {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  async list(): Promise<PolicyAssignment[]> {
    return this.#assignments(this.#db);
  }

  /** Assigns (or reassigns) a scope's policy of a kind; answers the devices whose effective policy changes. */
  async assign(assignment: PolicyAssignment, by: PolicyActor): Promise<string[]> {
    return this.#change(assignment.kind, assignment.scope, assignment.policyId, by);
  }

  async unassign(kind: PolicyKind, scope: PolicyScope, by: PolicyActor): Promise<string[]> {
    return this.#change(kind, scope, null, by);
  }

  /** The devices whose effective policy would change if the assignment changed (nothing is written). */
  async preview(kind: PolicyKind, scope: PolicyScope, policyId: string | null): Promise<string[]> {
    const devices = await this.#devices(this.#db);
    const before = await this.#assignments(this.#db);
    return changedDevices(devices, before, withChange(before, kind, scope, policyId));
  }

  /** Effective policies of the given devices (all when omitted). */
  async effective(deviceIds?: readonly string[], q: Queryable = this.#db): Promise<EffectivePolicies> {
    const devices = await this.#devices(q, deviceIds);
    return computeEffectivePolicies(devices, await this.#assignments(q));
  }

  async effectiveFor(deviceId: string): Promise<DevicePolicies | undefined> {
    return (await this.effective([deviceId])).byDevice.get(deviceId);
  }

  async #change(
    kind: PolicyKind,
    scope: PolicyScope,
    policyId: string | null,
    by: PolicyActor,
  ): Promise<string[]> {
    return this.#db.transaction(async (tx) => {
      if (policyId !== null) {
        const policy = await tx.query<{ kind: string }>('SELECT kind FROM policies WHERE id::text = $1', [
          policyId,
        ]);
        const found = policy.rows[0];
        if (!found) throw new PoliciesError('POLICY_NOT_FOUND', `no policy ${policyId}`);
        if (found.kind !== kind)
          throw new PoliciesError(
            'POLICY_ASSIGNMENT_INVALID',
            `policy ${policyId} is a ${found.kind} policy, not ${kind}`,
          );
      }
      await assertScopeExists(tx, scope);
      const devices = await this.#devices(tx);
      const before = await this.#assignments(tx);
      const value = scopeValue(scope);
      if (policyId === null) {
        const removed = await tx.query(
          'DELETE FROM policy_assignments WHERE kind = $1 AND scope_type = $2 AND scope_value = $3',
          [kind, scope.type, value],
        );
        if (removed.rowCount === 0)
          throw new PoliciesError(
            'POLICY_ASSIGNMENT_NOT_FOUND',
            `no ${kind} policy is assigned to that ${scope.type}`,
          );
      } else {
        await tx.query(
          `INSERT INTO policy_assignments (kind, scope_type, scope_value, policy_id, assigned_by, assigned_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (kind, scope_type, scope_value) DO UPDATE SET policy_id = EXCLUDED.policy_id,
             assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at`,
          [kind, scope.type, value, policyId, by.actor, this.#now()],
        );
      }
      await notifyPolicyChange(tx);
      await this.#audit.appendIn(tx, {
        actor: by.actor,
        action: policyId === null ? 'policy.unassign' : 'policy.assign',
        target: `policy-scope:${scope.type}:${value}`,
        outcome: 'success',
        ...(by.source !== undefined ? { source: by.source } : {}),
        details: { kind, ...(policyId !== null ? { policyId } : {}) },
      });
      return changedDevices(devices, before, withChange(before, kind, scope, policyId));
    });
  }

  async #assignments(q: Queryable): Promise<PolicyAssignment[]> {
    const result = await q.query<AssignmentRow>(
      'SELECT kind, scope_type, scope_value, policy_id FROM policy_assignments ORDER BY kind, scope_type, scope_value',
    );
    return result.rows.map((row) => ({
      kind: row.kind,
      policyId: row.policy_id,
      scope: scopeOf(row.scope_type, row.scope_value),
    }));
  }

  async #devices(q: Queryable, ids?: readonly string[]): Promise<FleetDevice[]> {
    const result = await q.query<{ id: string; group_name: string; tags: string[] }>(
      `SELECT id, group_name, tags FROM devices
        WHERE state <> 'decommissioned' AND ($1::text[] IS NULL OR id = ANY($1::text[]))`,
      [ids ?? null],
    );
    return result.rows.map((row) => ({ id: row.id, groupId: row.group_name, tags: row.tags }));
  }
}

function withChange(
  assignments: readonly PolicyAssignment[],
  kind: PolicyKind,
  scope: PolicyScope,
  policyId: string | null,
): PolicyAssignment[] {
  const key = `${scope.type}:${scopeValue(scope)}`;
  const kept = assignments.filter((a) => a.kind !== kind || `${a.scope.type}:${scopeValue(a.scope)}` !== key);
  return policyId === null ? kept : [...kept, { kind, scope, policyId }];
}

function changedDevices(
  devices: readonly FleetDevice[],
  before: readonly PolicyAssignment[],
  after: readonly PolicyAssignment[],
): string[] {
  const changes = diffEffectivePolicies(
    computeEffectivePolicies(devices, before),
    computeEffectivePolicies(devices, after),
  );
  return changes.map((change) => change.deviceId);
}

async function assertScopeExists(tx: Queryable, scope: PolicyScope): Promise<void> {
  if (scope.type === 'group') {
    const found = await tx.query('SELECT 1 FROM device_groups WHERE name = $1', [scope.groupId]);
    if (found.rowCount === 0)
      throw new PoliciesError('POLICY_ASSIGNMENT_INVALID', `no device group ${scope.groupId}`);
  }
  if (scope.type === 'device') {
    const found = await tx.query('SELECT 1 FROM devices WHERE id = $1', [scope.deviceId]);
    if (found.rowCount === 0)
      throw new PoliciesError('POLICY_ASSIGNMENT_INVALID', `no device ${scope.deviceId}`);
  }
}
