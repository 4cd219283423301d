import { createHash } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import { ADVISORY_LOCK, type Db, type Queryable } from '../db/index.ts';
import { PoliciesError } from './policies-error.ts';
import type { PolicyAssignments } from './policy-assignments.ts';
import { notifyPolicyChange } from './policy-change.ts';
import type { PolicyActor } from './policy-store.ts';

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
  /** Devices the policy applies to, and how many of them the current phase reaches. */
  readonly devices: number;
  readonly inPhase: number;
  readonly applied: number;
  readonly failed: number;
  readonly pending: number;
}

/** A rollout change that sends the policy to more (or other) devices: they must be told. */
export interface RolloutMove {
  readonly rolloutId: string;
  readonly policyId: string;
  readonly devices: readonly string[];
  readonly reason: string;
}

interface RolloutRow {
  id: string;
  policy_id: string;
  version: number;
  previous_version: number | null;
  phases: number[];
  phase: number;
  status: RolloutStatus;
  failure_threshold: number;
  soak_seconds: number;
  phase_started_at: Date;
  status_reason: string | null;
}

/**
 * Which device is in which phase: a stable hash of (rollout, device) to
 * 0–99, so phases grow by adding devices, never swapping them, and each
 * rollout picks a different first few percent.
 */
export function rolloutBucket(rolloutId: string, deviceId: string): number {
  return createHash('sha256').update(`${rolloutId}\u0000${deviceId}`).digest().readUInt32BE(0) % 100;
}

/**
 * Staged rollouts of policy versions (the engine updates will share): phases
 * in percent, an automatic pause when the failure share of the current phase
 * passes the threshold, operator pause / resume / cancel (cancel returns the
 * devices to the previous version). One replica at a time advances them.
 */
export class PolicyRollouts {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #assignments: PolicyAssignments;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, assignments: PolicyAssignments, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#assignments = assignments;
    this.#now = now;
  }

  /** The version of each policy a device should run, given the latest version's rollout. */
  /** The rollout that decides what each policy's devices get: the one of its latest version. */
  async current(): Promise<Map<string, Rollout>> {
    const result = await this.#db.query<RolloutRow>(
      `SELECT DISTINCT ON (policy_id) * FROM policy_rollouts ORDER BY policy_id, version DESC, created_at DESC`,
    );
    return new Map(result.rows.map((row) => [row.policy_id, rolloutOfRow(row)]));
  }

  async list(): Promise<Rollout[]> {
    const result = await this.#db.query<RolloutRow>(
      'SELECT * FROM policy_rollouts ORDER BY created_at DESC LIMIT 200',
    );
    return result.rows.map(rolloutOfRow);
  }

  async progress(rolloutId: string): Promise<RolloutProgress> {
    return this.#progressIn(this.#db, await this.#get(this.#db, rolloutId));
  }

  /** pause / resume / cancel; answers the devices whose delivered version changes. */
  async control(
    rolloutId: string,
    step: 'pause' | 'resume' | 'cancel',
    by: PolicyActor,
  ): Promise<RolloutMove> {
    return this.#db.transaction(async (tx) => {
      const rollout = await this.#get(tx, rolloutId, true);
      const allowed: Record<typeof step, RolloutStatus[]> = {
        pause: ['running'],
        resume: ['paused'],
        cancel: ['running', 'paused'],
      };
      if (!allowed[step].includes(rollout.status))
        throw new PoliciesError(
          'ROLLOUT_STATE_CONFLICT',
          `the rollout is ${rollout.status}; it cannot ${step}`,
        );
      const status: RolloutStatus = step === 'pause' ? 'paused' : step === 'resume' ? 'running' : 'cancelled';
      await tx.query('UPDATE policy_rollouts SET status = $2, status_reason = $3 WHERE id = $1', [
        rolloutId,
        status,
        `${step} by ${by.actor}`,
      ]);
      await notifyPolicyChange(tx);
      await this.#audit.appendIn(tx, {
        actor: by.actor,
        action: `policy.rollout-${step}`,
        target: `rollout:${rolloutId}`,
        outcome: 'success',
        ...(by.source !== undefined ? { source: by.source } : {}),
        details: { policyId: rollout.policyId, version: rollout.version, phase: rollout.phase },
      });
      // Cancelling moves the devices that had the new version back to the previous one.
      const devices = step === 'cancel' ? await this.#reached(tx, rollout) : [];
      return { rolloutId, policyId: rollout.policyId, devices, reason: `policy rollout ${step}` };
    });
  }

  /**
   * One round over running rollouts (one replica at a time): pause those whose
   * current phase fails too often, move on those whose phase every device
   * answered and that soaked long enough. Answers the devices to tell.
   */
  async advance(): Promise<{ moves: RolloutMove[]; paused: Rollout[] }> {
    return this.#db.transaction(async (tx) => {
      const locked = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        ADVISORY_LOCK.policyRollouts,
      ]);
      if (!locked.rows[0]?.locked) return { moves: [], paused: [] };
      const running = await tx.query<RolloutRow>(
        "SELECT * FROM policy_rollouts WHERE status = 'running' FOR UPDATE",
      );
      const moves: RolloutMove[] = [];
      const paused: Rollout[] = [];
      for (const row of running.rows) {
        const rollout = rolloutOfRow(row);
        const progress = await this.#progressIn(tx, rollout);
        if (progress.inPhase > 0 && progress.failed / progress.inPhase > rollout.failureThreshold) {
          const reason = `${progress.failed} of ${progress.inPhase} devices failed in phase ${rollout.phase + 1} (threshold ${rollout.failureThreshold})`;
          await tx.query("UPDATE policy_rollouts SET status = 'paused', status_reason = $2 WHERE id = $1", [
            rollout.id,
            reason,
          ]);
          paused.push({ ...rollout, status: 'paused', statusReason: reason });
          await notifyPolicyChange(tx);
          continue;
        }
        const soaked =
          this.#now().getTime() - Date.parse(rollout.phaseStartedAt) >= rollout.soakSeconds * 1000;
        if (progress.pending > 0 || !soaked) continue;
        const before = await this.#reached(tx, rollout);
        const last = rollout.phase >= rollout.phases.length - 1;
        await tx.query(
          last
            ? "UPDATE policy_rollouts SET status = 'completed', status_reason = NULL WHERE id = $1"
            : 'UPDATE policy_rollouts SET phase = phase + 1, phase_started_at = $2 WHERE id = $1',
          last ? [rollout.id] : [rollout.id, this.#now()],
        );
        await notifyPolicyChange(tx);
        if (!last) {
          const next = { ...rollout, phase: rollout.phase + 1 };
          const reached = new Set(before);
          moves.push({
            rolloutId: rollout.id,
            policyId: rollout.policyId,
            devices: (await this.#reached(tx, next)).filter((id) => !reached.has(id)),
            reason: `policy rollout phase ${next.phase + 1}`,
          });
        }
      }
      return { moves, paused };
    });
  }

  async #get(q: Queryable, rolloutId: string, forUpdate = false): Promise<Rollout> {
    const result = await q.query<RolloutRow>(
      `SELECT * FROM policy_rollouts WHERE id::text = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [rolloutId],
    );
    const row = result.rows[0];
    if (!row) throw new PoliciesError('ROLLOUT_NOT_FOUND', `no rollout ${rolloutId}`);
    return rolloutOfRow(row);
  }

  /** Devices the rollout's policy applies to that its current phase reaches. */
  async #reached(q: Queryable, rollout: Rollout): Promise<string[]> {
    return (await this.#targets(q, rollout)).filter(
      (id) => rolloutBucket(rollout.id, id) < (rollout.phases[rollout.phase] ?? 100),
    );
  }

  async #targets(q: Queryable, rollout: Rollout): Promise<string[]> {
    const effective = await this.#assignments.effective(undefined, q);
    const targets: string[] = [];
    for (const [deviceId, policies] of effective.byDevice)
      if (Object.values(policies).some((p) => p?.policyId === rollout.policyId)) targets.push(deviceId);
    return targets;
  }

  async #progressIn(q: Queryable, rollout: Rollout): Promise<RolloutProgress> {
    const targets = await this.#targets(q, rollout);
    const cut = rollout.phases[rollout.phase] ?? 100;
    const inPhase = targets.filter((id) => rolloutBucket(rollout.id, id) < cut);
    const states = await q.query<{ device_id: string; state: string }>(
      `SELECT device_id, state FROM device_policy_status
        WHERE policy_id::text = $1 AND version = $2 AND device_id = ANY($3::text[])`,
      [rollout.policyId, rollout.version, inPhase],
    );
    let applied = 0;
    let failed = 0;
    for (const { state } of states.rows) {
      if (state === 'failed' || state === 'rolled_back') failed += 1;
      else applied += 1;
    }
    return {
      ...rollout,
      devices: targets.length,
      inPhase: inPhase.length,
      applied,
      failed,
      pending: inPhase.length - applied - failed,
    };
  }
}

/** The version a device gets under a rollout: the new one inside the phase, the previous one outside. */
export function deliveredVersion(rollout: Rollout, deviceId: string): number | null {
  if (rollout.status === 'completed') return rollout.version;
  if (rollout.status === 'cancelled') return rollout.previousVersion;
  const cut = rollout.phases[rollout.phase] ?? 100;
  return rolloutBucket(rollout.id, deviceId) < cut ? rollout.version : rollout.previousVersion;
}

function rolloutOfRow(row: RolloutRow): Rollout {
  return {
    id: row.id,
    policyId: row.policy_id,
    version: row.version,
    previousVersion: row.previous_version,
    phases: row.phases,
    phase: row.phase,
    status: row.status,
    failureThreshold: row.failure_threshold,
    soakSeconds: row.soak_seconds,
    phaseStartedAt: row.phase_started_at.toISOString(),
    statusReason: row.status_reason,
  };
}
