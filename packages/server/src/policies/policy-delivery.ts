import {
  computeEffectivePolicies,
  type PolicyAssignment,
  type PolicyKind,
  type SignedPolicy,
} from '@palisade/core';
import type { Db } from '../db/index.ts';
import type { PanelEvents } from '../events/index.ts';
import { PoliciesError } from './policies-error.ts';
import type { PolicyAssignments } from './policy-assignments.ts';
import { POLICIES_CHANNEL } from './policy-change.ts';
import { deliveredVersion, type PolicyRollouts, type Rollout } from './policy-rollouts.ts';
import type { PolicyTrustKey } from './policy-signing-keys.ts';

/** One kind's policy as desired-state names it; the device fetches the envelope when it differs from its own. */
export interface DesiredPolicy {
  readonly policyId: string;
  readonly version: number;
  /** Lower-case hex SHA-256 of the payload's canonical JSON: VerifiedPolicy.payloadDigest on the device. */
  readonly digest: string;
}

export type PolicyApplyState = 'applied' | 'failed' | 'rolled_back' | 'drifted' | 'repaired' | 'removed';

export interface PolicyStatusReport {
  readonly policyId: string;
  readonly version: number;
  readonly state: PolicyApplyState;
  readonly liveStateHash?: string;
  readonly message?: string;
}

export interface DevicePolicyStatus extends PolicyStatusReport {
  readonly kind: PolicyKind;
  readonly reportedAt: string;
}

/** What deciding a device's policies needs, shared by every request until a change or SNAPSHOT_MAX_AGE_MS. */
interface DeliverySnapshot {
  readonly assignments: readonly PolicyAssignment[];
  readonly rollouts: ReadonlyMap<string, Rollout>;
  /** `policyId/version` → digest and envelope, for every version a rollout may hand out. */
  readonly versions: ReadonlyMap<string, { readonly digest: string; readonly envelope: SignedPolicy }>;
}

/** A replica that missed a NOTIFY (its listener was reconnecting) catches up within this. */
const SNAPSHOT_MAX_AGE_MS = 10_000;

/**
 * What each device is sent and what it says back: the effective policy per
 * kind at the version its rollout phase gives it, the signed envelope (only
 * the one meant for that device), the public keys it pins, and its apply
 * reports, which drive the rollouts and the drift view.
 */
export class PolicyDelivery {
  readonly #db: Db;
  readonly #assignments: PolicyAssignments;
  readonly #rollouts: PolicyRollouts;
  readonly #trust: () => readonly PolicyTrustKey[];
  readonly #events: PanelEvents;
  readonly #now: () => Date;
  #snapshot: { readonly at: number; readonly value: Promise<DeliverySnapshot> } | undefined;

  constructor(input: {
    readonly db: Db;
    readonly assignments: PolicyAssignments;
    readonly rollouts: PolicyRollouts;
    readonly trust: () => readonly PolicyTrustKey[];
    readonly events: PanelEvents;
    readonly now: () => Date;
  }) {
    this.#db = input.db;
    this.#assignments = input.assignments;
    this.#rollouts = input.rollouts;
    this.#trust = input.trust;
    this.#events = input.events;
    this.#now = input.now;
  }

  /** Starts following policy changes from every replica (each drops its snapshot). */
  async listen(): Promise<() => Promise<void>> {
    return this.#db.listen(POLICIES_CHANNEL, () => this.invalidate());
  }

  /** Forgets the snapshot: the next request reads assignments, rollouts and envelopes again. */
  invalidate(): void {
    this.#snapshot = undefined;
  }

  async desired(deviceId: string): Promise<Partial<Record<PolicyKind, DesiredPolicy>>> {
    return (await this.#resolve(deviceId)).desired;
  }

  /** The envelope of the device's desired policy of a kind; nothing else is handed out. */
  async envelope(deviceId: string, kind: PolicyKind): Promise<SignedPolicy> {
    const { desired, snapshot } = await this.#resolve(deviceId);
    const wanted = desired[kind];
    const deliverable = wanted && snapshot.versions.get(`${wanted.policyId}/${wanted.version}`);
    if (!deliverable)
      throw new PoliciesError('POLICY_NOT_FOUND', `no ${kind} policy applies to device ${deviceId}`);
    return deliverable.envelope;
  }

  // One indexed query per request (the device's group and tags); the rest comes from the snapshot.
  async #resolve(
    deviceId: string,
  ): Promise<{ desired: Partial<Record<PolicyKind, DesiredPolicy>>; snapshot: DeliverySnapshot }> {
    const snapshot = await this.#currentSnapshot();
    const device = await this.#db.query<{ group_name: string; tags: string[] }>(
      "SELECT group_name, tags FROM devices WHERE id = $1 AND state <> 'decommissioned'",
      [deviceId],
    );
    const row = device.rows[0];
    const desired: Partial<Record<PolicyKind, DesiredPolicy>> = {};
    if (!row) return { desired, snapshot };
    const effective =
      computeEffectivePolicies(
        [{ id: deviceId, groupId: row.group_name, tags: row.tags }],
        snapshot.assignments,
      ).byDevice.get(deviceId) ?? {};
    for (const [kind, policy] of Object.entries(effective)) {
      const rollout = policy && snapshot.rollouts.get(policy.policyId);
      const version = rollout ? deliveredVersion(rollout, deviceId) : null;
      if (!policy || version === null) continue;
      const deliverable = snapshot.versions.get(`${policy.policyId}/${version}`);
      if (deliverable)
        desired[kind as PolicyKind] = { policyId: policy.policyId, version, digest: deliverable.digest };
    }
    return { desired, snapshot };
  }

  #currentSnapshot(): Promise<DeliverySnapshot> {
    const fresh = this.#snapshot && this.#now().getTime() - this.#snapshot.at < SNAPSHOT_MAX_AGE_MS;
    if (!fresh || !this.#snapshot) {
      const loading = this.#loadSnapshot();
      this.#snapshot = { at: this.#now().getTime(), value: loading };
      // A failed load must not stick: the next request tries again.
      loading.catch(() => {
        if (this.#snapshot?.value === loading) this.#snapshot = undefined;
      });
    }
    return this.#snapshot.value;
  }

  async #loadSnapshot(): Promise<DeliverySnapshot> {
    const assignments = await this.#assignments.list();
    const rollouts = await this.#rollouts.current();
    const wanted = [...rollouts.values()].flatMap((r) => [
      { policyId: r.policyId, version: r.version },
      ...(r.previousVersion !== null ? [{ policyId: r.policyId, version: r.previousVersion }] : []),
    ]);
    const versions = new Map<string, { digest: string; envelope: SignedPolicy }>();
    if (wanted.length > 0) {
      const rows = await this.#db.query<{
        policy_id: string;
        version: number;
        digest: string;
        envelope: SignedPolicy;
      }>(
        `SELECT v.policy_id, v.version, v.digest, v.envelope FROM policy_versions v
           JOIN unnest($1::uuid[], $2::int[]) AS w (policy_id, version) USING (policy_id, version)`,
        [wanted.map((w) => w.policyId), wanted.map((w) => w.version)],
      );
      for (const row of rows.rows)
        versions.set(`${row.policy_id}/${row.version}`, { digest: row.digest, envelope: row.envelope });
    }
    return { assignments, rollouts, versions };
  }

  trust(): { keys: readonly PolicyTrustKey[] } {
    return { keys: this.#trust() };
  }

  async report(deviceId: string, kind: PolicyKind, report: PolicyStatusReport): Promise<void> {
    // Versions a rollout hands out are in the snapshot; anything else (an old version) is looked up.
    const snapshot = await this.#currentSnapshot();
    const deliverable = snapshot.versions.get(`${report.policyId}/${report.version}`);
    const known = deliverable
      ? { rowCount: deliverable.envelope.payload.kind === kind ? 1 : 0 }
      : await this.#db.query(
          `SELECT 1 FROM policy_versions v JOIN policies p ON p.id = v.policy_id
        WHERE p.id::text = $1 AND p.kind = $2 AND v.version = $3`,
          [report.policyId, kind, report.version],
        );
    if (known.rowCount === 0)
      throw new PoliciesError(
        'POLICY_STATUS_INVALID',
        `there is no version ${report.version} of a ${kind} policy ${report.policyId}`,
      );
    await this.#db.query(
      `INSERT INTO device_policy_status (device_id, kind, policy_id, version, state, live_hash, message, reported_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (device_id, kind) DO UPDATE SET policy_id = EXCLUDED.policy_id, version = EXCLUDED.version,
         state = EXCLUDED.state, live_hash = EXCLUDED.live_hash, message = EXCLUDED.message,
         reported_at = EXCLUDED.reported_at`,
      [
        deviceId,
        kind,
        report.policyId,
        report.version,
        report.state,
        report.liveStateHash ?? null,
        report.message ?? null,
        this.#now(),
      ],
    );
    if (report.state === 'failed' || report.state === 'rolled_back')
      await this.#events.record({
        type: 'policy.apply_failed',
        deviceId,
        message: `${kind} policy version ${report.version} ${report.state === 'failed' ? 'failed to apply' : 'was rolled back'} on ${deviceId}${report.message ? `: ${report.message}` : ''}`,
        fields: { kind, policyId: report.policyId, version: report.version, state: report.state },
      });
  }

  /** What the devices reported for one version of a policy: the rollout's acknowledgements. */
  async reports(
    policyId: string,
    version: number,
  ): Promise<{ deviceId: string; state: PolicyApplyState; reportedAt: string; message?: string }[]> {
    const result = await this.#db.query<{
      device_id: string;
      state: PolicyApplyState;
      reported_at: Date;
      message: string | null;
    }>(
      `SELECT device_id, state, reported_at, message FROM device_policy_status
        WHERE policy_id::text = $1 AND version = $2 ORDER BY reported_at`,
      [policyId, version],
    );
    return result.rows.map((row) => ({
      deviceId: row.device_id,
      state: row.state,
      reportedAt: row.reported_at.toISOString(),
      ...(row.message !== null ? { message: row.message } : {}),
    }));
  }

  async statuses(deviceId: string): Promise<DevicePolicyStatus[]> {
    const result = await this.#db.query<{
      kind: PolicyKind;
      policy_id: string;
      version: number;
      state: PolicyApplyState;
      live_hash: string | null;
      message: string | null;
      reported_at: Date;
    }>('SELECT * FROM device_policy_status WHERE device_id = $1 ORDER BY kind', [deviceId]);
    return result.rows.map((row) => ({
      kind: row.kind,
      policyId: row.policy_id,
      version: row.version,
      state: row.state,
      ...(row.live_hash !== null ? { liveStateHash: row.live_hash } : {}),
      ...(row.message !== null ? { message: row.message } : {}),
      reportedAt: row.reported_at.toISOString(),
    }));
  }
}
