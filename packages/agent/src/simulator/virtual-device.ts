import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.ts';
import { PanelClient } from '../channel/panel-client.ts';
import type { ClientIdentity, PanelEndpoint } from '../channel/panel-tls.ts';
import { PushChannel } from '../channel/push-channel.ts';
import { buildCsr } from '../identity/csr.ts';
import { estEnroll } from '../identity/est-client.ts';
import { memoryRoot } from '../roots/memory-root.ts';
import { Backoff, sleep } from '../state/backoff.ts';
import { nextEvent, poissonGapMs } from './event-mix.ts';
import { type PolicyAcknowledged, PolicyFollower } from './policy-follower.ts';

export type VirtualDeviceState = 'new' | 'enrolling' | 'enrolled' | 'failed';

export interface VirtualDeviceOptions {
  readonly deviceId: string;
  readonly endpoints: readonly PanelEndpoint[];
  readonly token: string;
  readonly logger: Logger;
  /** Mean events per minute (Poisson); 0 for none. */
  readonly eventsPerMinute: number;
  readonly stats: FleetCounters;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
  /** Told when the device verified and acknowledged a policy version. */
  readonly onPolicyAcknowledged?: PolicyAcknowledged;
}

/** Counters shared by every device of a fleet, for the live summary. */
export interface FleetCounters {
  enrolled: number;
  enrollFailures: number;
  connected: number;
  checkIns: number;
  checkInFailures: number;
  eventsQueued: number;
  eventsDelivered: number;
  deliveryFailures: number;
  pushes: number;
  policiesApplied: number;
  policyFailures: number;
}

const MAX_QUEUE = 5_000;
const FLUSH_MS = 5_000;

/**
 * One simulated agent speaking the real protocol with an in-memory key:
 * EST enrollment with a token and the TLS channel binding, mutual TLS,
 * the push channel, check-ins on the panel's heartbeat, and batched,
 * idempotent event delivery (records keep their IDs across retries).
 */
export class VirtualDevice {
  readonly deviceId: string;
  #state: VirtualDeviceState = 'new';
  readonly #o: VirtualDeviceOptions;
  readonly #root = memoryRoot();
  #identity: ClientIdentity | undefined;
  #heartbeatSeconds = 60;
  readonly #queue: Array<{ id: string; kind: string; severity: number; createdAt: string; body: unknown }> =
    [];

  constructor(options: VirtualDeviceOptions) {
    this.deviceId = options.deviceId;
    this.#o = options;
  }

  get state(): VirtualDeviceState {
    return this.#state;
  }

  /** EST simpleenroll with the token; 202 and refusals the panel means to be retried are retried. */
  async enroll(signal: AbortSignal, attempts = 8): Promise<void> {
    this.#state = 'enrolling';
    const backoff = new Backoff(this.#o.backoff ?? { baseMs: 500, capMs: 20_000 });
    const key = await this.#root.createKey('identity');
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts && !signal.aborted; attempt += 1) {
      try {
        const outcome = await estEnroll({
          endpoint: this.#o.endpoints[attempt % this.#o.endpoints.length] as PanelEndpoint,
          operation: 'simpleenroll',
          credential: { kind: 'token', deviceId: this.deviceId, token: this.#o.token },
          csrFor: (binding) =>
            buildCsr(key, { commonName: this.deviceId, ...(binding ? { challengePassword: binding } : {}) }),
        });
        if (outcome.kind === 'issued') {
          this.#identity = { certificatePem: outcome.certificatePem, key: key.tlsClientKey() };
          this.#state = 'enrolled';
          this.#o.stats.enrolled += 1;
          return;
        }
        await sleep(outcome.retryAfterSeconds * 1000, signal);
      } catch (error) {
        lastError = error;
        // Unreachable, overloaded (429/503): wait and retry. Anything else is final.
        const status = error instanceof AgentError ? error.details?.status : undefined;
        if (
          !(error instanceof AgentError) ||
          !(error.code === 'PANEL_UNREACHABLE' || status === 429 || status === 503)
        )
          break;
        await sleep(backoff.next(), signal);
      }
    }
    this.#state = 'failed';
    this.#o.stats.enrollFailures += 1;
    this.#o.logger.warn({ deviceId: this.deviceId, err: lastError }, 'simulated device could not enroll');
  }

  /** Runs until `signal` aborts: push channel, check-ins, events. */
  async run(signal: AbortSignal): Promise<void> {
    const identity = this.#identity;
    if (!identity) return;
    const client = new PanelClient(this.#o.endpoints, identity);
    const stats = this.#o.stats;
    const policies = new PolicyFollower(this.deviceId, client, (...args) => {
      stats.policiesApplied += 1;
      this.#o.onPolicyAcknowledged?.(...args);
    });
    const followPolicies = () => {
      policies.sync().catch((error: unknown) => {
        stats.policyFailures += 1;
        this.#o.logger.debug({ deviceId: this.deviceId, err: error }, 'simulated policy sync failed');
      });
    };
    const push = new PushChannel({
      deviceId: this.deviceId,
      endpoints: this.#o.endpoints,
      preferred: () => client.preferred,
      identity: () => identity,
      logger: this.#o.logger,
      ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
      onNotice: (notice) => {
        stats.pushes += 1;
        if (notice.type === 'hello') this.#heartbeatSeconds = notice.heartbeatSeconds;
        // The hello after each (re)connect and every change notice: the desired state may have moved.
        if (notice.type === 'hello' || notice.type === 'desired-state-changed') followPolicies();
      },
      onConnectionChange: (connected) => {
        stats.connected += connected ? 1 : -1;
      },
    });
    try {
      await this.#report(client, 'inventory', 1, simulatedInventory(this.deviceId));
      await Promise.all([push.run(signal), this.#checkIns(client, signal), this.#events(client, signal)]);
    } finally {
      client.close();
    }
  }

  async #checkIns(client: PanelClient, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const answer = await client.json<{ heartbeatSeconds?: number }>(
          'POST',
          `/v1/devices/${this.deviceId}/check-in`,
          {
            agentVersion: 'simulator',
            rootOfTrust: { kind: 'software', hardwareBacked: false },
          },
        );
        if (typeof answer.heartbeatSeconds === 'number') this.#heartbeatSeconds = answer.heartbeatSeconds;
        this.#o.stats.checkIns += 1;
      } catch {
        this.#o.stats.checkInFailures += 1;
      }
      // ±10 % jitter: a fleet enrolled in one burst spreads out instead of checking in as a herd.
      await sleep(this.#heartbeatSeconds * 1000 * (0.9 + Math.random() * 0.2), signal);
    }
  }

  async #events(client: PanelClient, signal: AbortSignal): Promise<void> {
    if (this.#o.eventsPerMinute <= 0) return;
    const meanGapMs = 60_000 / this.#o.eventsPerMinute;
    let nextFlush = Date.now() + FLUSH_MS;
    while (!signal.aborted) {
      await sleep(Math.min(poissonGapMs(meanGapMs), Math.max(0, nextFlush - Date.now())), signal);
      if (Date.now() < nextFlush && this.#queue.length < 100) {
        const event = nextEvent(this.deviceId);
        if (this.#queue.length < MAX_QUEUE) {
          this.#queue.push({ id: randomUUID(), createdAt: new Date().toISOString(), ...event });
          this.#o.stats.eventsQueued += 1;
        }
        continue;
      }
      nextFlush = Date.now() + FLUSH_MS;
      await this.#flush(client);
    }
  }

  async #report(client: PanelClient, kind: string, severity: number, body: unknown): Promise<void> {
    this.#queue.push({ id: randomUUID(), kind, severity, createdAt: new Date().toISOString(), body });
    await this.#flush(client);
  }

  async #flush(client: PanelClient): Promise<void> {
    if (this.#queue.length === 0) return;
    const batch = this.#queue.slice(0, 500);
    try {
      const answer = await client.json<{ acknowledged?: string[] }>(
        'POST',
        `/v1/devices/${this.deviceId}/reports`,
        {
          records: batch,
        },
      );
      const acknowledged = new Set(answer.acknowledged ?? []);
      for (let i = this.#queue.length - 1; i >= 0; i -= 1) {
        if (acknowledged.has((this.#queue[i] as { id: string }).id)) this.#queue.splice(i, 1);
      }
      this.#o.stats.eventsDelivered += acknowledged.size;
    } catch {
      this.#o.stats.deliveryFailures += 1;
    }
  }
}

function simulatedInventory(deviceId: string) {
  const known = <T>(value: T) => ({ known: true, value });
  return {
    agentVersion: 'simulator',
    hostname: known(deviceId),
    osRelease: known({ id: 'palisade-sim', versionId: '1', prettyName: 'Palisade simulated gateway' }),
    architecture: known('x64'),
    secureBoot: { known: false, reason: 'simulated device' },
    tpm: known({ present: false }),
  };
}
