import { createPublicKey } from 'node:crypto';
import {
  type AcceptedPolicyVersion,
  isPolicyKind,
  type PolicyTrust,
  policyTrust,
  verifySignedPolicy,
} from '@palisade/core';
import { type PanelClient, refusal } from '../channel/panel-client.ts';

/** What desired-state says about one kind. */
interface DesiredPolicy {
  readonly policyId: string;
  readonly version: number;
  readonly digest: string;
}

/** Called once a policy version is verified and acknowledged (the rollout benchmark times this). */
export type PolicyAcknowledged = (deviceId: string, kind: string, version: number) => void;

/**
 * A simulated device's policy handling: the real protocol (desired state,
 * signed envelope verified against the keys pinned at first contact, version
 * never going back, status report) without touching the host it runs on —
 * a virtual device applies nothing, it acknowledges what it verified.
 */
export class PolicyFollower {
  readonly #deviceId: string;
  readonly #client: PanelClient;
  readonly #onAcknowledged: PolicyAcknowledged | undefined;
  readonly #accepted = new Map<string, AcceptedPolicyVersion>();
  readonly #applied = new Map<string, string>();
  #trust: PolicyTrust | undefined;
  #syncing: Promise<void> | undefined;
  #again = false;

  constructor(deviceId: string, client: PanelClient, onAcknowledged?: PolicyAcknowledged) {
    this.#deviceId = deviceId;
    this.#client = client;
    this.#onAcknowledged = onAcknowledged;
  }

  /** Pulls the desired state and follows it; overlapping calls coalesce into one more round. */
  sync(): Promise<void> {
    if (this.#syncing !== undefined) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      do {
        this.#again = false;
        await this.#round();
      } while (this.#again);
    })().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #round(): Promise<void> {
    const base = `/v1/devices/${encodeURIComponent(this.#deviceId)}`;
    const desired = await this.#client.json<{ policies?: Record<string, DesiredPolicy> }>(
      'GET',
      `${base}/desired-state`,
    );
    for (const [kind, wanted] of Object.entries(desired.policies ?? {})) {
      if (!isPolicyKind(kind) || this.#applied.get(kind) === wanted.digest) continue;
      this.#trust ??= await this.#pinTrust(base);
      const envelope = await this.#client.json<unknown>('GET', `${base}/policies/${kind}`);
      const verified = verifySignedPolicy(envelope, this.#trust, (id) => this.#accepted.get(id), kind);
      this.#accepted.set(verified.payload.policyId, {
        version: verified.payload.version,
        payloadDigest: verified.payloadDigest,
      });
      this.#applied.set(kind, verified.payloadDigest);
      const answer = await this.#client.send({
        method: 'POST',
        path: `${base}/policies/${kind}/status`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          policyId: verified.payload.policyId,
          version: verified.payload.version,
          state: 'applied',
          liveStateHash: verified.payloadDigest,
        }),
      });
      if (answer.status !== 204) throw refusal(answer, `POST ${base}/policies/${kind}/status`);
      this.#onAcknowledged?.(this.#deviceId, kind, verified.payload.version);
    }
  }

  async #pinTrust(base: string): Promise<PolicyTrust> {
    const answer = await this.#client.json<{ keys: { publicKeyPem: string }[] }>(
      'GET',
      `${base}/policy-trust`,
    );
    return policyTrust(answer.keys.map((key) => createPublicKey(key.publicKeyPem)));
  }
}
