/**
 * What the device has applied, durable across restarts: per kind the applied
 * policy (policyId, version, digest, live-state hash), per policyId the
 * highest version ever applied (rollback protection outlives a kind's
 * removal), the attempt in progress (so a restart in the middle is reported),
 * and the verified envelope of each applied policy (drift repair and restarts
 * need the document without asking the panel). `applied.json` is the commit
 * point: it is replaced atomically, envelopes are written before it names them.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AcceptedPolicyVersion, isPolicyKind, type PolicyKind } from '@palisade/core';
import { writeFileAtomic } from '../state/atomic-file.ts';
import type { DesiredPolicy } from './desired-policies.ts';
import { PolicyApplyError } from './policy-apply-error.ts';

export interface AppliedPolicy extends DesiredPolicy {
  /** Hex SHA-256 of the live state the policy produced (firewall table, config files, OpenSSL include). */
  readonly liveStateHash?: string;
  readonly appliedAt: string;
}

export interface PolicyAttempt extends DesiredPolicy {
  readonly kind: PolicyKind;
  readonly startedAt: string;
}

interface StateFile {
  readonly format: 1;
  readonly applied: Partial<Record<PolicyKind, AppliedPolicy>>;
  readonly accepted: Record<string, { readonly version: number; readonly digest: string }>;
  readonly attempt?: PolicyAttempt;
}

const STATE_FILE = 'applied.json';
const ENVELOPES = 'envelopes';
const HEX64 = /^[0-9a-f]{64}$/;

export class PolicyStateStore {
  readonly #dir: string;
  #state: StateFile;

  private constructor(dir: string, state: StateFile) {
    this.#dir = dir;
    this.#state = state;
  }

  /** Opens (creating 0700) the policy state directory; POLICY_STATE_CORRUPT when applied.json is not ours. */
  static async open(dir: string): Promise<PolicyStateStore> {
    await mkdir(join(dir, ENVELOPES), { recursive: true, mode: 0o700 });
    const path = join(dir, STATE_FILE);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw corrupt(path, error);
    }
    if (text === undefined) return new PolicyStateStore(dir, { format: 1, applied: {}, accepted: {} });
    try {
      return new PolicyStateStore(dir, parseStateFile(JSON.parse(text)));
    } catch (error) {
      throw corrupt(path, error);
    }
  }

  applied(kind: PolicyKind): AppliedPolicy | undefined {
    return this.#state.applied[kind];
  }

  appliedKinds(): PolicyKind[] {
    return Object.keys(this.#state.applied) as PolicyKind[];
  }

  /** For verifySignedPolicy: the highest version of `policyId` this device applied, with its digest. */
  accepted(policyId: string): AcceptedPolicyVersion | undefined {
    const found = this.#state.accepted[policyId];
    return found === undefined ? undefined : { version: found.version, payloadDigest: found.digest };
  }

  get attempt(): PolicyAttempt | undefined {
    return this.#state.attempt;
  }

  /** Written before the live state changes: a restart in the middle is then known and reported. */
  async beginAttempt(kind: PolicyKind, policy: DesiredPolicy): Promise<void> {
    const attempt = { kind, ...pick(policy), startedAt: new Date().toISOString() };
    await this.#write({ ...this.#state, attempt });
  }

  async endAttempt(): Promise<void> {
    if (this.#state.attempt === undefined) return;
    const { attempt: _attempt, ...rest } = this.#state;
    await this.#write(rest);
  }

  /**
   * Commits `policy` as the kind's applied one (undefined: the kind was
   * removed), raising its accepted version; the envelope is stored first.
   */
  async commit(kind: PolicyKind, policy: AppliedPolicy | undefined, envelope?: unknown): Promise<void> {
    if (policy !== undefined && envelope !== undefined)
      await writeFileAtomic(this.#envelopePath(policy.digest), `${JSON.stringify(envelope)}\n`, 0o600);
    const applied = { ...this.#state.applied };
    const accepted = { ...this.#state.accepted };
    if (policy === undefined) delete applied[kind];
    else {
      applied[kind] = policy;
      const before = accepted[policy.policyId];
      if (before === undefined || before.version <= policy.version)
        accepted[policy.policyId] = { version: policy.version, digest: policy.digest };
    }
    const { attempt: _attempt, ...rest } = this.#state;
    await this.#write({ ...rest, applied, accepted });
    await this.#collectEnvelopes();
  }

  /** After a drift repair: the same policy, a new live state. */
  async updateLiveHash(kind: PolicyKind, liveStateHash: string | undefined): Promise<void> {
    const current = this.#state.applied[kind];
    if (current === undefined) return;
    const { liveStateHash: _old, ...rest } = current;
    const updated = liveStateHash === undefined ? rest : { ...rest, liveStateHash };
    await this.#write({ ...this.#state, applied: { ...this.#state.applied, [kind]: updated } });
  }

  /** The stored envelope of the kind's applied policy (verify it again before use), or undefined. */
  async envelope(kind: PolicyKind): Promise<unknown> {
    const applied = this.#state.applied[kind];
    if (applied === undefined) return undefined;
    try {
      return JSON.parse(await readFile(this.#envelopePath(applied.digest), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  #envelopePath(digest: string): string {
    return join(this.#dir, ENVELOPES, `${digest}.json`);
  }

  async #write(state: StateFile): Promise<void> {
    await writeFileAtomic(join(this.#dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600);
    this.#state = state;
  }

  /** Envelopes no applied policy names any more. */
  async #collectEnvelopes(): Promise<void> {
    const keep = new Set(Object.values(this.#state.applied).map((policy) => `${policy.digest}.json`));
    const names = await readdir(join(this.#dir, ENVELOPES)).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => !keep.has(name))
        .map((name) => rm(join(this.#dir, ENVELOPES, name), { force: true })),
    );
  }
}

function pick(policy: DesiredPolicy): DesiredPolicy {
  return { policyId: policy.policyId, version: policy.version, digest: policy.digest };
}

function parseStateFile(input: unknown): StateFile {
  const body = object(input);
  if (body.format !== 1) throw new Error('unknown format');
  const applied: Partial<Record<PolicyKind, AppliedPolicy>> = {};
  for (const [kind, value] of Object.entries(object(body.applied))) {
    if (!isPolicyKind(kind)) throw new Error(`unknown kind ${kind.slice(0, 32)}`);
    const entry = object(value);
    const policy = desired(entry);
    if (typeof entry.appliedAt !== 'string') throw new Error('appliedAt missing');
    if (
      entry.liveStateHash !== undefined &&
      (typeof entry.liveStateHash !== 'string' || !HEX64.test(entry.liveStateHash))
    )
      throw new Error('liveStateHash malformed');
    applied[kind] = {
      ...policy,
      appliedAt: entry.appliedAt,
      ...(typeof entry.liveStateHash === 'string' ? { liveStateHash: entry.liveStateHash } : {}),
    };
  }
  const accepted: Record<string, { version: number; digest: string }> = {};
  for (const [policyId, value] of Object.entries(object(body.accepted))) {
    const { version, digest } = desired({ ...object(value), policyId });
    accepted[policyId] = { version, digest };
  }
  let attempt: PolicyAttempt | undefined;
  if (body.attempt !== undefined) {
    const entry = object(body.attempt);
    if (!isPolicyKind(entry.kind) || typeof entry.startedAt !== 'string')
      throw new Error('attempt malformed');
    attempt = { kind: entry.kind, ...desired(entry), startedAt: entry.startedAt };
  }
  return { format: 1, applied, accepted, ...(attempt === undefined ? {} : { attempt }) };
}

function desired(entry: Record<string, unknown>): DesiredPolicy {
  const { policyId, version, digest } = entry;
  if (typeof policyId !== 'string' || typeof digest !== 'string' || !HEX64.test(digest))
    throw new Error('policy reference malformed');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new Error('version malformed');
  return { policyId, version, digest };
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

function corrupt(path: string, cause: unknown): PolicyApplyError {
  return new PolicyApplyError(
    'POLICY_STATE_CORRUPT',
    `${path} is not a policy state file this agent wrote; policies are not applied until it is fixed or deleted`,
    { cause },
  );
}
