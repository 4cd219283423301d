import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AgentError } from './agent-error.ts';
import { startAttestation } from './attestation/index.ts';
import { deliverOutbox } from './channel/outbox-delivery.ts';
import { PanelClient } from './channel/panel-client.ts';
import type { ClientIdentity, PanelEndpoint } from './channel/panel-tls.ts';
import { PushChannel, type PushNotice } from './channel/push-channel.ts';
import type { AgentConfig } from './config/agent-config.ts';
import { type ActiveIdentity, type IdentityEvent, IdentityManager } from './identity/identity-manager.ts';
import { IdentityStore } from './identity/identity-state.ts';
import { collectInventory, InventoryWatcher, tpmFromRootOfTrust } from './inventory/index.ts';
import { type JsonValue, Outbox } from './outbox/index.ts';
import { panelLink } from './policies/panel-link.ts';
import { PolicyClient } from './policies/policy-client.ts';
import type { RootOfTrust } from './roots/index.ts';
import { openRootOfTrust } from './roots/open-root.ts';
import { Backoff, sleep } from './state/backoff.ts';

/** How the agent stopped: asked to, or because a renewed TPM key needs a fresh process (systemd restarts it). */
export type AgentExit = 'stopped' | 'restart-required';

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly now?: () => Date;
  /** Test hook: the upper bound of the renewal check interval and of the clock-skew pause (default one hour). */
  readonly renewalCheckMs?: number;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}

interface DesiredState {
  readonly version: string;
  readonly heartbeatSeconds: number;
  /** Effective policy per kind; parsed by the policy client (policies/desired-policies.ts). */
  readonly policies?: unknown;
}

const DEFAULT_HEARTBEAT_SECONDS = 60;
const MIN_RENEWAL_GAP_MS = 3_600_000;

/**
 * `palisade agent`: the long-running service on the endpoint. It opens the
 * root of trust and the outbox, gets or loads the device identity, then
 * keeps four things going until stopped: check-ins on the panel's heartbeat,
 * outbox delivery, the push channel, and renewal; inventory is reported at
 * start and on change. A revoked certificate ends the session and sends the
 * agent back to enrollment.
 */
export class Agent {
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  readonly done: Promise<AgentExit>;
  #root: RootOfTrust | undefined;
  #outbox: Outbox | undefined;
  /** Reports made while the agent is still starting wait for the outbox instead of failing. */
  readonly #outboxOpened = Promise.withResolvers<Outbox>();
  #wakeDelivery: () => void = () => undefined;
  #heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS;
  #desiredVersion: string | undefined;
  #policies: PolicyClient | undefined;

  private constructor(options: AgentOptions) {
    this.#o = options;
    // Nobody may be waiting on it: a start-up failure is reported through `done`.
    this.#outboxOpened.promise.catch(() => undefined);
    this.#log = options.logger;
    this.done = this.#runThenClose();
  }

  static start(options: AgentOptions): Agent {
    return new Agent(options);
  }

  get outbox(): Outbox | undefined {
    return this.#outbox;
  }

  /** Stops every loop, flushes the outbox, closes the root of trust. */
  async stop(): Promise<AgentExit> {
    this.#stop.abort();
    return this.done;
  }

  /** Appends a report to the outbox; resolves when it is durable (not when it is delivered). */
  async report(kind: string, severity: number, body: JsonValue): Promise<string> {
    const outbox = this.#outbox ?? (await this.#outboxOpened.promise);
    // The siem policy's device rules and forwarding filter; undefined without one (policies/device-event-gate.ts).
    const screened = this.#policies?.screen(kind, severity, body);
    if (screened !== undefined) {
      if (screened.records.length > 0) await outbox.appendMany(screened.records);
      this.#wakeDelivery();
      return screened.id;
    }
    const id = await outbox.append({ kind, severity, body });
    this.#wakeDelivery();
    return id;
  }

  async #runThenClose(): Promise<AgentExit> {
    try {
      return await this.#run();
    } catch (error) {
      this.#outboxOpened.reject(error);
      throw error;
    } finally {
      await this.#close();
    }
  }

  async #run(): Promise<AgentExit> {
    const { config } = this.#o;
    const signal = this.#stop.signal;
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
    const caPem = await readFile(config.panel.caFile, 'utf8').catch((error: unknown) => {
      throw new AgentError('AGENT_CONFIG_INVALID', `cannot read the pinned panel CA ${config.panel.caFile}`, {
        cause: error,
      });
    });
    const endpoints: PanelEndpoint[] = config.panel.urls.map((url) => ({
      url,
      caPem,
      ...(config.panel.serverName ? { serverName: config.panel.serverName } : {}),
      tlsParameters: () => this.#policies?.tlsParameters(),
    }));
    this.#root = await openRootOfTrust(config.rootOfTrust, config.stateDir);
    const root = this.#root;
    this.#outbox = await Outbox.open({
      dir: join(config.stateDir, 'outbox'),
      maxBytes: config.outbox.maxBytes,
      logger: this.#log.child({ component: 'outbox' }),
      onDropped: (drop, outbox) => {
        this.#log.warn({ drop }, 'outbox full: dropped the lowest-severity oldest records');
        void outbox
          .append({
            kind: 'outbox.dropped',
            severity: 9,
            body: { ...drop, bySeverity: { ...drop.bySeverity } },
          })
          .catch((error: unknown) => this.#log.error({ err: error }, 'could not record the outbox drop'));
      },
    });
    this.#outboxOpened.resolve(this.#outbox);
    // Before the network: an unconfirmed firewall ruleset of the last run is rolled back here.
    this.#policies = await PolicyClient.open({
      deviceId: config.deviceId,
      settings: config.policies,
      panelUrls: config.panel.urls,
      logger: this.#log,
      report: (kind, severity, body) => this.report(kind, severity, body),
      ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
    });
    const identity = new IdentityManager({
      deviceId: config.deviceId,
      root,
      store: new IdentityStore(config.stateDir),
      endpoints,
      logger: this.#log,
      ...(config.enrollment.tokenFile
        ? { bootstrapToken: () => readToken(config.enrollment.tokenFile) }
        : {}),
      ...(config.enrollment.idevid ? { idevid: await loadIdevid(config.enrollment.idevid, root) } : {}),
      ...(config.enrollment.estLabel ? { estLabel: config.enrollment.estLabel } : {}),
      ...(this.#o.now ? { now: this.#o.now } : {}),
      ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
      onEvent: (event) => this.#recordIdentityEvent(event),
    });
    await this.report('agent.started', 2, { version: this.#o.version, rootOfTrust: root.kind });

    while (!signal.aborted) {
      const active = await identity.start(signal).catch((error: unknown) => {
        if (signal.aborted) return undefined;
        throw error;
      });
      if (!active) break;
      const exit = await this.#session(active, identity, endpoints, root);
      if (exit === 'restart-required') return exit;
    }
    return 'stopped';
  }

  /** Everything the agent does while it has a usable identity; ends on stop, revocation or a restart need. */
  async #session(
    active: ActiveIdentity,
    identity: IdentityManager,
    endpoints: readonly PanelEndpoint[],
    root: RootOfTrust,
  ): Promise<AgentExit | 'revoked'> {
    const session = new AbortController();
    const stopSession = () => session.abort();
    this.#stop.signal.addEventListener('abort', stopSession, { once: true });
    const signal = session.signal;
    let exit: AgentExit | 'revoked' = 'stopped';
    const client = new PanelClient(endpoints, active.client, this.#log);
    let current: ClientIdentity | undefined = active.client;
    const detachPolicies = this.#policies?.attach(
      panelLink(client, endpoints, () => current, active.deviceId, this.#log),
    );
    const revoked = async (error: unknown) => {
      if (error instanceof AgentError && error.code === 'IDENTITY_REFUSED') {
        await identity.markRevoked(error);
        exit = 'revoked';
        session.abort();
        return true;
      }
      return false;
    };
    // Remote attestation (TPM roots; the others say why they skip it): a loop, and the `attest` push.
    const attestation = await startAttestation({
      root,
      client,
      deviceId: active.deviceId,
      settings: this.#o.config.attestation,
      logger: this.#log,
      report: (kind, severity, body) => this.report(kind, severity, body),
      ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
    });
    const push = new PushChannel({
      deviceId: active.deviceId,
      endpoints,
      preferred: () => client.preferred,
      identity: () => current,
      logger: this.#log,
      ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
      onNotice: (notice) =>
        attestation.handles(notice) ||
        this.#onNotice(notice, client, active.deviceId, checkIn, inventory, renewNow),
      onRefused: (status) => {
        // 401 at the door: ask over HTTPS, which tells revoked from unknown with a problem code.
        if (status === 401) checkIn.now();
      },
    });
    const stopFollowingRenewals = identity.onChange((renewed) => {
      current = renewed.client;
      client.useIdentity(renewed.client);
      push.reconnect();
    });
    const checkIn = new Trigger();
    const renewNow = new Trigger();
    const inventory = new InventoryWatcher({
      collect: async () =>
        collectInventory({
          agentVersion: this.#o.version,
          ...(root.kind === 'tpm' ? { tpm: tpmFromRootOfTrust(await root.facts()) } : {}),
        }),
      onChange: async (value) => {
        await this.report('inventory', 1, JSON.parse(JSON.stringify(value)) as JsonValue);
      },
      intervalMs: this.#o.config.inventoryIntervalSeconds * 1000,
      onError: (error) => this.#log.warn({ err: error }, 'inventory collection failed'),
    });
    const loops = [
      push.run(signal),
      attestation.run(signal),
      this.#checkInLoop(client, active.deviceId, root, checkIn, signal, revoked),
      deliverOutbox({
        outbox: this.#outbox as Outbox,
        client,
        deviceId: active.deviceId,
        signal,
        logger: this.#log,
        onWake: (wake) => {
          this.#wakeDelivery = wake;
        },
        onRefused: revoked,
        ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
      }),
      this.#renewalLoop(identity, renewNow, signal).then((outcome) => {
        if (outcome === 'restart-required') {
          exit = 'restart-required';
          session.abort();
        }
      }),
      inventory.start(),
    ];
    const settled = await Promise.allSettled(
      loops.map((loop) =>
        loop.catch(async (error: unknown) => {
          if (!(await revoked(error))) {
            this.#log.error({ err: error }, 'an agent loop failed; restarting the session');
            session.abort();
          }
        }),
      ),
    );
    void settled;
    stopFollowingRenewals();
    detachPolicies?.();
    await inventory.stop();
    client.close();
    this.#stop.signal.removeEventListener('abort', stopSession);
    return exit;
  }

  async #checkInLoop(
    client: PanelClient,
    deviceId: string,
    root: RootOfTrust,
    trigger: Trigger,
    signal: AbortSignal,
    revoked: (error: unknown) => Promise<boolean>,
  ): Promise<void> {
    const backoff = new Backoff(this.#o.backoff);
    while (!signal.aborted) {
      let waitMs = this.#heartbeatSeconds * 1000;
      try {
        const answer = await client.json<{ heartbeatSeconds?: unknown }>(
          'POST',
          `/v1/devices/${encodeURIComponent(deviceId)}/check-in`,
          {
            agentVersion: this.#o.version,
            rootOfTrust: { kind: root.kind, hardwareBacked: root.hardwareBacked },
          },
        );
        this.#applyHeartbeat(answer.heartbeatSeconds);
        waitMs = this.#heartbeatSeconds * 1000;
        backoff.reset();
        void this.#policies?.checkDrift();
      } catch (error) {
        if (await revoked(error)) return;
        waitMs = Math.min(backoff.next(), this.#heartbeatSeconds * 1000);
        this.#log.warn({ err: error, retryInMs: waitMs }, 'check-in failed');
      }
      await trigger.wait(waitMs, signal);
    }
  }

  async #renewalLoop(
    identity: IdentityManager,
    renewNow: Trigger,
    signal: AbortSignal,
  ): Promise<AgentExit | undefined> {
    const ceiling = this.#o.renewalCheckMs ?? 3_600_000;
    const backoff = new Backoff({ baseMs: 60_000, capMs: ceiling });
    let forced = false;
    while (!signal.aborted) {
      const active = identity.active;
      if (!active) return undefined;
      const dueIn = identity.renewalDueAt(active).getTime() - (this.#o.now?.() ?? new Date()).getTime();
      if (dueIn > 0 && !forced) {
        forced = await renewNow.wait(Math.min(dueIn, ceiling), signal);
        continue;
      }
      forced = false;
      const outcome = await identity.renewIfDue({ force: true });
      if (outcome === 'restart-required') return 'restart-required';
      if (outcome === 'renewed') {
        backoff.reset();
        // A certificate due for renewal the moment it arrives means the clocks disagree: renew at
        // most hourly instead of in a loop, and say so.
        const fresh = identity.active;
        if (fresh && identity.renewalDueAt(fresh).getTime() <= (this.#o.now?.() ?? new Date()).getTime()) {
          this.#log.warn('the renewed certificate is already due for renewal: is the device clock ahead?');
          await sleep(Math.min(MIN_RENEWAL_GAP_MS, ceiling), signal);
        }
      }
      if (identity.revoked) return undefined;
      if (outcome === 'failed') await sleep(Math.max(1_000, backoff.next()), signal);
    }
    return undefined;
  }

  #onNotice(
    notice: PushNotice,
    client: PanelClient,
    deviceId: string,
    checkIn: Trigger,
    inventory: InventoryWatcher,
    renewNow: Trigger,
  ): void {
    if (notice.type === 'hello') {
      this.#applyHeartbeat(notice.heartbeatSeconds);
      // A (re)opened channel may have missed pushes: bring the policies up to date.
      void client
        .json<DesiredState>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/desired-state`)
        .then((desired) => this.#policies?.sync(desired.policies))
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not pull the desired state'));
      return;
    }
    if (notice.type === 'renew-certificate') {
      this.#log.info({ reason: notice.reason }, 'the panel asks for a certificate renewal now');
      renewNow.now();
      return;
    }
    // "Desired state changed": pull it (the push itself is only a hint), check in, re-check inventory.
    void client
      .json<DesiredState>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/desired-state`)
      .then((desired) => {
        if (typeof desired.version !== 'string')
          throw new AgentError('PANEL_ANSWER_INVALID', 'desired state without a version');
        this.#applyHeartbeat(desired.heartbeatSeconds);
        const changed = desired.version !== this.#desiredVersion;
        this.#desiredVersion = desired.version;
        this.#log.info({ version: desired.version, changed, reason: notice.reason }, 'desired state pulled');
        void this.#policies?.sync(desired.policies);
        checkIn.now();
        return inventory.check();
      })
      .catch((error: unknown) => this.#log.warn({ err: error }, 'could not pull the desired state'));
  }

  #applyHeartbeat(value: unknown): void {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 5 && value <= 86_400) {
      this.#heartbeatSeconds = value;
    }
  }

  #recordIdentityEvent(event: IdentityEvent): void {
    void this.report(event.kind, event.severity, event.body as JsonValue).catch((error: unknown) =>
      this.#log.error({ err: error, event: event.kind }, 'could not record an identity event'),
    );
  }

  async #close(): Promise<void> {
    this.#policies?.close();
    await this.#outbox
      ?.close()
      .catch((error: unknown) => this.#log.error({ err: error }, 'outbox close failed'));
    await this.#root
      ?.close()
      .catch((error: unknown) => this.#log.error({ err: error }, 'root of trust close failed'));
  }
}

/** Wakes a waiting loop early (a push, a new record), or lets it sleep its interval out. */
export class Trigger {
  #wake: (() => void) | undefined;
  #pending = false;

  now(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  /** Sleeps `ms` or until woken; answers true when woken (not when the time ran out or `signal` aborted). */
  async wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.#pending) {
      this.#pending = false;
      return true;
    }
    const local = new AbortController();
    const onAbort = () => local.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let woken = false;
    this.#wake = () => {
      woken = true;
      local.abort();
    };
    try {
      await sleep(ms, local.signal);
    } finally {
      this.#wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
    return woken;
  }
}

async function readToken(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentError('AGENT_CONFIG_INVALID', `cannot read the enrollment token file ${file}`, {
      cause: error,
    });
  }
}

async function loadIdevid(
  idevid: NonNullable<AgentConfig['enrollment']['idevid']>,
  root: RootOfTrust,
): Promise<ClientIdentity> {
  const certificatePem = await readFile(idevid.certificateFile, 'utf8').catch((error: unknown) => {
    throw new AgentError(
      'AGENT_CONFIG_INVALID',
      `cannot read the IDevID certificate ${idevid.certificateFile}`,
      {
        cause: error,
      },
    );
  });
  if (idevid.keyFile) {
    const keyPem = await readFile(idevid.keyFile, 'utf8').catch((error: unknown) => {
      throw new AgentError('AGENT_CONFIG_INVALID', `cannot read the IDevID key ${idevid.keyFile}`, {
        cause: error,
      });
    });
    return { certificatePem, key: { kind: 'node-options', options: { key: keyPem } } };
  }
  const key = await root.loadKey(idevid.keyLabel ?? 'idevid');
  if (!key) {
    throw new AgentError(
      'AGENT_CONFIG_INVALID',
      `the ${root.kind} root of trust holds no IDevID key "${idevid.keyLabel}"`,
    );
  }
  return { certificatePem, key: key.tlsClientKey() };
}
