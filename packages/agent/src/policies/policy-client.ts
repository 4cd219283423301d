/**
 * The agent's policy client (PD-1, PD-2; issue 7, agent side): brings the
 * device to the effective policies desired-state names, one kind at a time,
 * and keeps it there.
 *
 * For each kind whose (policyId, version, digest) differs from the applied
 * one: fetch the envelope, verify it against the pinned trust and the highest
 * version applied before (verifySignedPolicy: signatures, schema, rollback),
 * check it is the digest desired-state named, apply it, commit it durably,
 * and acknowledge. Any failure leaves the previous state in force and is
 * acknowledged as `failed` with its code. On each heartbeat the live state of
 * the firewall, config files and OpenSSL include is compared with what was
 * applied; drift is reported (status `drifted` and an event) and repaired.
 */
import { join } from 'node:path';
import {
  type NodeTlsOptions,
  type PolicyDocuments,
  PolicyError,
  type PolicyKind,
  type VerifiedPolicy,
  verifySignedPolicy,
} from '@palisade/core';
import type { Logger } from 'pino';
import type { JsonValue } from '../outbox/index.ts';
import type { CryptoApplier } from './crypto-applier.ts';
import {
  type DesiredPolicies,
  type DesiredPolicy,
  parseDesiredPolicies,
  sameDesired,
} from './desired-policies.ts';
import type { DeviceEventGate, ScreenedReport } from './device-event-gate.ts';
import { DriftRepair } from './drift-repair.ts';
import type { FirewallApplier } from './firewall-applier.ts';
import { HeldDocuments, type PolicyListener } from './held-documents.ts';
import { getJson, type PolicyPanel } from './panel-link.ts';
import { PinnedPolicyTrust } from './pinned-trust.ts';
import type { PolicyApplier } from './policy-applier.ts';
import { type ApplierOptions, type Appliers, createAppliers } from './policy-appliers.ts';
import { PolicyApplyError } from './policy-apply-error.ts';
import {
  describeFailure,
  desiredKey,
  isPermanentRefusal,
  type KindResult,
  liveHash,
  reference,
} from './policy-outcomes.ts';
import { type AppliedPolicy, PolicyStateStore } from './policy-state-store.ts';
import { PolicyStatusQueue } from './policy-status-queue.ts';

export interface PolicyClientOptions extends Omit<ApplierOptions, 'signal'> {
  /** Appends an event to the outbox (Agent.report). */
  readonly report: (kind: string, severity: number, body: JsonValue) => Promise<unknown>;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}

export type SyncResults = Partial<Record<PolicyKind, KindResult>>;

/** Cheap, in-memory kinds first; the firewall last, since it may wait out its confirmation window. */
const APPLY_ORDER: readonly PolicyKind[] = [
  'siem',
  'monitoring',
  'attestation',
  'config',
  'crypto',
  'firewall',
];

export class PolicyClient {
  readonly #o: PolicyClientOptions;
  readonly #log: Logger;
  readonly #store: PolicyStateStore | undefined;
  readonly #broken: PolicyApplyError | undefined;
  readonly #trust: PinnedPolicyTrust;
  readonly #status: PolicyStatusQueue;
  readonly #held: HeldDocuments;
  readonly #gate: DeviceEventGate;
  readonly #crypto: CryptoApplier;
  readonly #firewall: FirewallApplier;
  readonly #appliers: Appliers;
  readonly #stop = new AbortController();
  /** The verified document of each applied kind, for drift repair. */
  readonly #documents = new Map<PolicyKind, PolicyDocuments[PolicyKind]>();
  /** Desired keys not to try again in this process (permanent refusals, rollbacks). */
  readonly #settled = new Set<string>();
  /** The last failure reported per kind, so a retried transient failure is acknowledged once. */
  readonly #reportedFailure = new Map<PolicyKind, string>();
  readonly #drift: DriftRepair | undefined;
  #desired: DesiredPolicies | undefined;
  #panel: PolicyPanel | undefined;
  #resumed = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    options: PolicyClientOptions,
    store: PolicyStateStore | undefined,
    broken: PolicyApplyError | undefined,
  ) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'policies' });
    this.#store = store;
    this.#broken = broken;
    const { settings } = options;
    this.#trust = new PinnedPolicyTrust(join(settings.stateDir, 'trust.json'), this.#log);
    this.#status = new PolicyStatusQueue({
      file: join(settings.stateDir, 'status-queue.json'),
      deviceId: options.deviceId,
      logger: this.#log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    this.#held = new HeldDocuments(this.#log);
    const built = createAppliers({ ...options, logger: this.#log, signal: this.#stop.signal });
    this.#appliers = built.appliers;
    this.#gate = built.gate;
    this.#crypto = built.crypto;
    this.#firewall = built.firewall;
    this.#drift =
      store &&
      new DriftRepair({
        store,
        status: this.#status,
        applier: (kind) => this.#applier(kind),
        documents: this.#documents,
        report: options.report,
        logger: this.#log,
        signal: this.#stop.signal,
        failed: (kind, policy, error) => this.#failed(kind, policy, error),
      });
  }

  /**
   * Opens the policy state and, first of all, rolls back a firewall ruleset
   * the previous run applied but never confirmed (it may be what stopped it).
   * Never throws for bad state: a corrupt state file refuses every policy
   * (reported `failed`) and leaves the rest of the agent running.
   */
  static async open(options: PolicyClientOptions): Promise<PolicyClient> {
    let store: PolicyStateStore | undefined;
    let broken: PolicyApplyError | undefined;
    try {
      store = await PolicyStateStore.open(options.settings.stateDir);
    } catch (error) {
      broken =
        error instanceof PolicyApplyError
          ? error
          : new PolicyApplyError('POLICY_STATE_CORRUPT', `cannot open ${options.settings.stateDir}`, {
              cause: error,
            });
      options.logger.error({ err: broken }, 'policy state unusable: policies are refused until it is fixed');
    }
    const client = new PolicyClient(options, store, broken);
    await client
      .#start()
      .catch((error: unknown) =>
        client.#log.error(
          { err: error },
          'could not restore the stored policies; they are applied again at the next sync',
        ),
      );
    return client;
  }

  /** The session's link to the panel (undefined while there is none); returns the detach. */
  attach(panel: PolicyPanel): () => void {
    this.#panel = panel;
    this.#status.attach(panel);
    return () => {
      if (this.#panel !== panel) return;
      this.#panel = undefined;
      this.#status.attach(undefined);
    };
  }

  /** After each desired-state pull: `policies` as the panel sent it. Never rejects. */
  sync(policies: unknown): Promise<SyncResults> {
    return this.#serially(async () => {
      let parsed: ReturnType<typeof parseDesiredPolicies>;
      try {
        parsed = parseDesiredPolicies(policies);
      } catch (error) {
        this.#log.error({ err: error }, 'desired-state policies refused; nothing changed');
        return {};
      }
      if (parsed === undefined) return {};
      if (parsed.unknownKinds.length > 0)
        this.#log.warn(
          { kinds: parsed.unknownKinds },
          'the panel names policy kinds this agent does not know; ignored',
        );
      this.#desired = parsed.policies;
      return this.#converge();
    });
  }

  /** On each heartbeat: drift detection and repair, then another try at what failed for a passing reason. Never rejects. */
  checkDrift(): Promise<SyncResults> {
    return this.#serially(async () => {
      const results = (await this.#drift?.check(this.#panel)) ?? {};
      return { ...(await this.#converge()), ...results };
    });
  }

  /** The verified document in force for a kind (e.g. `document('config')?.values`). */
  document<K extends PolicyKind>(kind: K): PolicyDocuments[K] | undefined {
    return this.#held.get(kind);
  }

  onChange<K extends PolicyKind>(kind: K, listener: PolicyListener<K>): () => void {
    return this.#held.onChange(kind, listener);
  }

  /** The crypto policy's settings for new connections to the panel; undefined = the agent's defaults. */
  tlsParameters(): NodeTlsOptions | undefined {
    return this.#crypto.tlsParameters;
  }

  /** The siem policy's verdict on a report before it is appended; undefined = append it as always. */
  screen(kind: string, severity: number, body: JsonValue): ScreenedReport | undefined {
    return this.#gate.screen(kind, severity, body);
  }

  /** Reports not yet acknowledged by the panel. */
  get pendingStatus() {
    return this.#status.pending;
  }

  /** Sends queued status reports now (tests and shutdown); resolves when done or a retry is scheduled. */
  flushStatus(): Promise<void> {
    return this.#status.flush();
  }

  close(): void {
    this.#stop.abort();
    this.#firewall.close();
    this.#status.close();
  }

  async #start(): Promise<void> {
    await this.#trust.load();
    await this.#status
      .load()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'policy status queue unreadable'));
    const recovery = await this.#firewall.recover().catch((error: unknown) => {
      this.#log.error({ err: error }, 'could not roll back the unconfirmed firewall ruleset of the last run');
      return undefined;
    });
    const store = this.#store;
    if (store === undefined) return;
    const attempt = store.attempt;
    if (recovery?.outcome === 'rolled_back') {
      this.#log.warn(
        { restored: recovery.restored, attempt },
        'rolled back the firewall ruleset the last run never confirmed',
      );
    }
    if (attempt !== undefined) {
      const rolledBack = attempt.kind === 'firewall' && recovery?.outcome === 'rolled_back';
      await this.#status.enqueue(attempt.kind, {
        ...reference(attempt),
        state: rolledBack ? 'rolled_back' : 'failed',
        ...(rolledBack ? { liveStateHash: recovery.activeHash } : {}),
        message: rolledBack
          ? 'POLICY_NOT_CONFIRMED: the agent stopped before reaching its panel over the new ruleset; the previous table was restored at start'
          : 'POLICY_APPLY_INTERRUPTED: the agent stopped while applying; the previous state is in force or repaired as drift',
      });
      await store.endAttempt();
    }
    if (this.#trust.pinned !== undefined) await this.#resume(undefined);
  }

  /**
   * Puts the stored policies back in memory (channel TLS, device rules, held
   * documents), verifying each stored envelope again: the state directory is
   * not trusted more than the panel. One that fails is forgotten, so the next
   * sync fetches and applies it afresh.
   */
  async #resume(panel: PolicyPanel | undefined): Promise<void> {
    const store = this.#store;
    if (store === undefined || this.#resumed) return;
    const trust = await this.#trust.get(async () => {
      if (panel === undefined)
        throw new PolicyApplyError('POLICY_TRUST_INVALID', 'no pinned trust and no panel to ask');
      return getJson(panel, this.#path('policy-trust'));
    });
    this.#resumed = true;
    for (const kind of store.appliedKinds()) {
      const applied = store.applied(kind) as AppliedPolicy;
      try {
        const verified = verifySignedPolicy(await store.envelope(kind), trust, undefined, kind);
        if (verified.payloadDigest !== applied.digest)
          throw new Error('the stored envelope is another policy');
        this.#activate(kind, verified.payload.document as PolicyDocuments[typeof kind]);
      } catch (error) {
        this.#log.error(
          { err: error, kind },
          'the stored policy does not verify; it is fetched and applied again',
        );
        await store.commit(kind, undefined);
      }
    }
  }

  async #converge(): Promise<SyncResults> {
    const panel = this.#panel;
    const desired = this.#desired;
    const store = this.#store;
    if (panel === undefined || desired === undefined) return {};
    const results: SyncResults = {};
    if (store === undefined) {
      for (const kind of APPLY_ORDER) {
        const want = desired[kind];
        if (want !== undefined) results[kind] = await this.#failed(kind, want, this.#broken);
      }
      return results;
    }
    try {
      await this.#resume(panel);
    } catch (error) {
      this.#log.warn({ err: error }, 'cannot resume the stored policies yet');
    }
    for (const kind of APPLY_ORDER) {
      const want = desired[kind];
      const have = store.applied(kind);
      if (want === undefined) {
        if (have !== undefined) results[kind] = await this.#remove(kind, have, store);
      } else if (sameDesired(have, want)) {
        results[kind] = 'unchanged';
      } else {
        results[kind] = await this.#apply(kind, want, panel, store);
      }
    }
    return results;
  }

  async #apply<K extends PolicyKind>(
    kind: K,
    want: DesiredPolicy,
    panel: PolicyPanel,
    store: PolicyStateStore,
  ): Promise<KindResult> {
    const key = desiredKey(kind, want);
    if (this.#settled.has(key)) return 'skipped';
    try {
      const envelope = await getJson(panel, this.#path(`policies/${kind}`));
      const verified = await this.#verify(kind, envelope, panel, store);
      const { payload } = verified;
      if (
        verified.payloadDigest !== want.digest ||
        payload.policyId !== want.policyId ||
        payload.version !== want.version
      )
        throw new PolicyApplyError(
          'POLICY_DIGEST_MISMATCH',
          `the panel served ${payload.policyId} version ${payload.version} (digest ${verified.payloadDigest.slice(0, 16)}…), desired-state named version ${want.version} (digest ${want.digest.slice(0, 16)}…)`,
        );
      const document = payload.document as PolicyDocuments[K];
      await store.beginAttempt(kind, want);
      const outcome = await this.#applier(kind).apply(document, panel);
      if (outcome.outcome === 'rolled_back') {
        await store.endAttempt();
        this.#settled.add(key);
        await this.#status.enqueue(kind, {
          ...reference(want),
          state: 'rolled_back',
          ...liveHash(outcome),
          message: describeFailure(outcome.reason),
        });
        return 'rolled_back';
      }
      await store.commit(
        kind,
        {
          ...reference(want),
          digest: want.digest,
          ...liveHash(outcome),
          appliedAt: new Date().toISOString(),
        },
        envelope,
      );
      this.#activate(kind, document);
      this.#reportedFailure.delete(kind);
      this.#drift?.forget(kind);
      await this.#status.enqueue(kind, { ...reference(want), state: 'applied', ...liveHash(outcome) });
      return 'applied';
    } catch (error) {
      // Stopping mid-way is not a verdict on the policy: the attempt stays recorded for the next start.
      if (this.#stop.signal.aborted) return 'failed';
      await store.endAttempt().catch(() => undefined);
      if (isPermanentRefusal(error)) this.#settled.add(key);
      return this.#failed(kind, want, error);
    }
  }

  async #verify<K extends PolicyKind>(
    kind: K,
    envelope: unknown,
    panel: PolicyPanel,
    store: PolicyStateStore,
  ): Promise<VerifiedPolicy<K>> {
    const fetchTrust = () => getJson(panel, this.#path('policy-trust'));
    const trust = await this.#trust.get(fetchTrust);
    try {
      return verifySignedPolicy(envelope, trust, (policyId) => store.accepted(policyId), kind);
    } catch (error) {
      // Signed, but not by what this device pinned: say loudly if the panel's keys changed.
      if (
        error instanceof PolicyError &&
        (error.code === 'POLICY_SIGNER_UNKNOWN' || error.code === 'POLICY_UNSIGNED')
      )
        await this.#trust
          .compareWithPanel(fetchTrust)
          .catch((problem: unknown) =>
            this.#log.warn({ err: problem }, 'could not compare the panel’s policy keys'),
          );
      throw error;
    }
  }

  async #remove(kind: PolicyKind, have: AppliedPolicy, store: PolicyStateStore): Promise<KindResult> {
    try {
      await this.#applier(kind).remove();
      await store.commit(kind, undefined);
      this.#activate(kind, undefined);
      this.#reportedFailure.delete(kind);
      this.#drift?.forget(kind);
      await this.#status.enqueue(kind, { ...reference(have), state: 'removed' });
      return 'removed';
    } catch (error) {
      return this.#failed(kind, have, error);
    }
  }

  async #failed(kind: PolicyKind, policy: DesiredPolicy, error: unknown): Promise<KindResult> {
    const message = describeFailure(error);
    this.#log.error(
      { err: error, kind, policyId: policy.policyId, version: policy.version },
      `${kind} policy not applied`,
    );
    const key = `${desiredKey(kind, policy)} ${message}`;
    if (this.#reportedFailure.get(kind) !== key) {
      this.#reportedFailure.set(kind, key);
      await this.#status.enqueue(kind, { ...reference(policy), state: 'failed', message });
    }
    return 'failed';
  }

  #activate<K extends PolicyKind>(kind: K, document: PolicyDocuments[K] | undefined): void {
    this.#applier(kind).activate?.(document);
    if (document === undefined) this.#documents.delete(kind);
    else this.#documents.set(kind, document);
    this.#held.set(kind, document);
  }

  #applier<K extends PolicyKind>(kind: K): PolicyApplier<K> {
    return this.#appliers[kind] as PolicyApplier<K>;
  }

  #path(suffix: string): string {
    return `/v1/devices/${encodeURIComponent(this.#o.deviceId)}/${suffix}`;
  }

  /** One operation at a time (a firewall confirmation window must not interleave with a repair); never rejects. */
  #serially(task: () => Promise<SyncResults>): Promise<SyncResults> {
    const guarded = () =>
      task().catch((error: unknown) => {
        this.#log.error({ err: error }, 'policy synchronisation failed');
        return {};
      });
    const run = this.#queue.then(guarded, guarded);
    this.#queue = run;
    return run;
  }
}
