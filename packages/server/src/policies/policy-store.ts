import { randomUUID } from 'node:crypto';
import {
  assertFirewallKeepsPanelReachable,
  type PanelReachability,
  type PolicyDocument,
  type PolicyKind,
  type PolicyPayload,
  parsePolicyDocument,
  policyPayloadDigest,
  type SignedPolicy,
  signPolicyPayload,
} from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { PoliciesError } from './policies-error.ts';
import { notifyPolicyChange } from './policy-change.ts';
import type { PolicySigning } from './policy-signing-keys.ts';

/** How a new version reaches the devices: phases in percent of them, pausing on failures. */
export interface RolloutPlan {
  readonly phases: readonly number[];
  /** Share (0–1] of failed devices in the current phase that pauses the rollout. */
  readonly failureThreshold: number;
  /** Seconds a phase runs, once every device in it answered, before the next one starts. */
  readonly soakSeconds: number;
}

export const IMMEDIATE_ROLLOUT: RolloutPlan = { phases: [100], failureThreshold: 1, soakSeconds: 0 };

export interface PolicySummary {
  readonly id: string;
  readonly kind: PolicyKind;
  readonly name: string;
  readonly latestVersion: number;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

export interface PublishedVersion {
  readonly policyId: string;
  readonly kind: PolicyKind;
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly rolloutId: string;
}

export interface PolicyActor {
  readonly actor: string;
  readonly source?: string;
}

/**
 * Policy documents and their published versions. Publishing parses the
 * document (every problem named by JSON pointer), runs the authoring checks
 * (a firewall policy may not contradict the panel's reachability), signs the
 * payload with the panel's policy keys and stores the envelope, immutable,
 * with a rollout that decides which devices get it when.
 */
export class PolicyStore {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #signing: () => PolicySigning;
  readonly #panel: () => PanelReachability;
  readonly #now: () => Date;

  constructor(
    db: Db,
    audit: AuditLog,
    options: {
      readonly signing: () => PolicySigning;
      /** Where devices reach the panel (known once the listeners are bound). */
      readonly panel: () => PanelReachability;
      readonly now: () => Date;
    },
  ) {
    this.#db = db;
    this.#audit = audit;
    this.#signing = options.signing;
    this.#panel = options.panel;
    this.#now = options.now;
  }

  /** Validates a document as publishing would (for previews), answering the typed document. */
  check(kind: string, input: unknown): PolicyDocument {
    if (kind !== 'firewall') return parsePolicyDocument(kind, input);
    const firewall = parsePolicyDocument('firewall', input);
    assertFirewallKeepsPanelReachable(firewall, this.#panel());
    return firewall;
  }

  /** Creates a policy and publishes its version 1. */
  async create(
    input: { kind: string; name: string; document: unknown; rollout?: RolloutPlan },
    by: PolicyActor,
  ): Promise<PublishedVersion> {
    const document = this.check(input.kind, input.document);
    const kind = input.kind as PolicyKind;
    return this.#db.transaction(async (tx) => {
      const exists = await tx.query('SELECT 1 FROM policies WHERE kind = $1 AND name = $2', [
        kind,
        input.name,
      ]);
      if (exists.rowCount > 0)
        throw new PoliciesError(
          'POLICY_EXISTS',
          `a ${kind} policy named ${input.name} exists; publish a new version`,
        );
      const policyId = randomUUID();
      await tx.query(
        'INSERT INTO policies (id, kind, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5)',
        [policyId, kind, input.name, by.actor, this.#now()],
      );
      return this.#publishIn(tx, { policyId, kind, name: input.name, document, rollout: input.rollout }, by);
    });
  }

  /** Publishes the next version of an existing policy. */
  async publish(
    policyId: string,
    input: { document: unknown; rollout?: RolloutPlan },
    by: PolicyActor,
  ): Promise<PublishedVersion> {
    const policy = await this.get(policyId);
    const document = this.check(policy.kind, input.document);
    return this.#db.transaction((tx) =>
      this.#publishIn(
        tx,
        { policyId, kind: policy.kind, name: policy.name, document, rollout: input.rollout },
        by,
      ),
    );
  }

  async list(kind?: PolicyKind): Promise<PolicySummary[]> {
    const result = await this.#db.query<SummaryRow>(
      `${SUMMARY_SQL} WHERE ($1::text IS NULL OR p.kind = $1) ORDER BY p.kind, p.name`,
      [kind ?? null],
    );
    return result.rows.map(summaryOfRow);
  }

  async get(policyId: string): Promise<PolicySummary> {
    const result = await this.#db.query<SummaryRow>(`${SUMMARY_SQL} WHERE p.id::text = $1`, [policyId]);
    const row = result.rows[0];
    if (!row) throw new PoliciesError('POLICY_NOT_FOUND', `no policy ${policyId}`);
    return summaryOfRow(row);
  }

  /** The signed envelope of one version, as devices receive it. */
  async envelope(policyId: string, version: number): Promise<{ envelope: SignedPolicy; digest: string }> {
    const result = await this.#db.query<{ envelope: SignedPolicy; digest: string }>(
      'SELECT envelope, digest FROM policy_versions WHERE policy_id::text = $1 AND version = $2',
      [policyId, version],
    );
    const row = result.rows[0];
    if (!row) throw new PoliciesError('POLICY_NOT_FOUND', `no version ${version} of policy ${policyId}`);
    return row;
  }

  async versions(
    policyId: string,
  ): Promise<{ version: number; digest: string; publishedAt: string; publishedBy: string }[]> {
    await this.get(policyId);
    const result = await this.#db.query<{
      version: number;
      digest: string;
      published_at: Date;
      published_by: string;
    }>(
      'SELECT version, digest, published_at, published_by FROM policy_versions WHERE policy_id::text = $1 ORDER BY version DESC',
      [policyId],
    );
    return result.rows.map((row) => ({
      version: row.version,
      digest: row.digest,
      publishedAt: row.published_at.toISOString(),
      publishedBy: row.published_by,
    }));
  }

  async #publishIn(
    tx: Queryable,
    input: {
      policyId: string;
      kind: PolicyKind;
      name: string;
      document: PolicyDocument;
      rollout: RolloutPlan | undefined;
    },
    by: PolicyActor,
  ): Promise<PublishedVersion> {
    // Row lock on the policy: two publishers get consecutive versions, never the same one.
    await tx.query('SELECT 1 FROM policies WHERE id = $1 FOR UPDATE', [input.policyId]);
    const latest = await tx.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM policy_versions WHERE policy_id = $1',
      [input.policyId],
    );
    const previous = latest.rows[0]?.version ?? null;
    const version = (previous ?? 0) + 1;
    const at = this.#now();
    const payload = {
      kind: input.kind,
      policyId: input.policyId,
      name: input.name,
      version,
      publishedAt: at.toISOString(),
      document: input.document,
    } as PolicyPayload;
    const envelope = await signPolicyPayload(payload, this.#signing().signers);
    // The digest of what was signed (the normalized payload), which is what devices compute.
    const digest = policyPayloadDigest(envelope.payload);
    await tx.query(
      `INSERT INTO policy_versions (policy_id, version, envelope, digest, published_by, published_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [input.policyId, version, JSON.stringify(envelope), digest, by.actor, at],
    );
    const plan = input.rollout ?? IMMEDIATE_ROLLOUT;
    const rolloutId = randomUUID();
    // A first version has nothing to fall back to: its rollout still phases who gets it.
    await tx.query(
      `INSERT INTO policy_rollouts (id, policy_id, version, previous_version, phases, phase, status,
                                    failure_threshold, soak_seconds, phase_started_at, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10, $9)`,
      [
        rolloutId,
        input.policyId,
        version,
        previous,
        plan.phases,
        plan.phases.length === 1 && plan.phases[0] === 100 ? 'completed' : 'running',
        plan.failureThreshold,
        plan.soakSeconds,
        at,
        by.actor,
      ],
    );
    // Superseded rollouts of older versions stop where they are.
    await tx.query(
      `UPDATE policy_rollouts SET status = 'cancelled', status_reason = $3
        WHERE policy_id = $1 AND version < $2 AND status IN ('running', 'paused')`,
      [input.policyId, version, `superseded by version ${version}`],
    );
    await notifyPolicyChange(tx);
    await this.#audit.appendIn(tx, {
      actor: by.actor,
      action: 'policy.publish',
      target: `policy:${input.policyId}`,
      outcome: 'success',
      ...(by.source !== undefined ? { source: by.source } : {}),
      details: { kind: input.kind, name: input.name, version, digest, phases: [...plan.phases] },
    });
    return { policyId: input.policyId, kind: input.kind, name: input.name, version, digest, rolloutId };
  }
}

const SUMMARY_SQL = `SELECT p.id, p.kind, p.name, v.version, v.published_at, v.published_by
  FROM policies p JOIN LATERAL (
    SELECT version, published_at, published_by FROM policy_versions WHERE policy_id = p.id ORDER BY version DESC LIMIT 1
  ) v ON true`;

interface SummaryRow {
  id: string;
  kind: PolicyKind;
  name: string;
  version: number;
  published_at: Date;
  published_by: string;
}

function summaryOfRow(row: SummaryRow): PolicySummary {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    latestVersion: row.version,
    publishedAt: row.published_at.toISOString(),
    publishedBy: row.published_by,
  };
}
