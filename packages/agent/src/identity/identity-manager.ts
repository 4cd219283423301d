import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.ts';
import { PanelClient } from '../channel/panel-client.ts';
import type { ClientIdentity, PanelEndpoint } from '../channel/panel-tls.ts';
import type { IdentityKey, RootOfTrust } from '../roots/root-of-trust.ts';
import { RootOfTrustError } from '../roots/root-of-trust-error.ts';
import { Backoff, sleep } from '../state/backoff.ts';
import { type EstCredential, estEnroll } from './est-client.ts';
import type { IdentityState, IdentityStore } from './identity-state.ts';

/** The identity in use: an LDevID and its key in the root of trust. */
export interface ActiveIdentity {
  readonly deviceId: string;
  readonly key: IdentityKey;
  readonly certificatePem: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly client: ClientIdentity;
}

/** Something the identity lifecycle wants the panel to know (goes through the outbox). */
export interface IdentityEvent {
  readonly kind:
    | 'identity.enrolled'
    | 'identity.renewed'
    | 'identity.renewal-failed'
    | 'identity.expiring'
    | 'identity.revoked';
  readonly severity: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface IdentityManagerOptions {
  readonly deviceId: string;
  readonly root: RootOfTrust;
  readonly store: IdentityStore;
  readonly endpoints: readonly PanelEndpoint[];
  /** The one-time enrollment token, read when needed (a file an operator may replace). */
  readonly bootstrapToken?: () => Promise<string | undefined>;
  /** The manufacturer certificate (IEEE 802.1AR IDevID) and its key, for EST in the TLS handshake. */
  readonly idevid?: ClientIdentity;
  /** EST label (device group profile), `/.well-known/est/<label>/`. */
  readonly estLabel?: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly onEvent?: (event: IdentityEvent) => void;
  /** Fraction of the lifetime after which renewal starts (ID-2: two thirds). */
  readonly renewAt?: number;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}

export type RenewalOutcome = 'not-due' | 'renewed' | 'restart-required' | 'failed';

const LABELS = ['identity-a', 'identity-b'] as const;

/**
 * The device identity's lifecycle (ID-1, ID-2): bootstrap enrollment with a
 * token or the IDevID, renewal at two thirds of the lifetime, and reaction to
 * revocation. Renewal never strands a device: the new key and certificate
 * replace the current pair only after a mutual-TLS request made with them
 * succeeded; until then the current pair stays in use and on disk.
 */
export class IdentityManager {
  readonly #o: IdentityManagerOptions;
  readonly #now: () => Date;
  readonly #log: Logger;
  #state: IdentityState = {};
  #active: ActiveIdentity | undefined;
  readonly #listeners: Array<(identity: ActiveIdentity) => void> = [];
  #lastExpiryWarning = 0;

  constructor(options: IdentityManagerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#log = options.logger.child({ component: 'identity' });
  }

  get active(): ActiveIdentity | undefined {
    return this.#active;
  }

  get revoked(): IdentityState['revoked'] {
    return this.#state.revoked;
  }

  /** Told when a renewed pair becomes current; answers the function that stops telling. */
  onChange(listener: (identity: ActiveIdentity) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  /** When renewal starts: `renewAt` (two thirds) of the way from notBefore to notAfter. */
  renewalDueAt(identity: ActiveIdentity = this.#require()): Date {
    const lifetime = identity.notAfter.getTime() - identity.notBefore.getTime();
    return new Date(identity.notBefore.getTime() + lifetime * (this.#o.renewAt ?? 2 / 3));
  }

  /**
   * Loads the stored identity, finishes a renewal a crash interrupted, or
   * enrolls for the first time, retrying with backoff until it has an
   * identity or `signal` aborts.
   */
  async start(signal: AbortSignal): Promise<ActiveIdentity> {
    const backoff = new Backoff(this.#o.backoff);
    while (!signal.aborted) {
      try {
        // Read on every attempt: an operator who repaired a corrupt file is picked up without a restart.
        this.#state = await this.#o.store.load();
        if (this.#state.current && !this.#state.revoked) {
          this.#active = await this.#activate(this.#state.current.label, this.#state.current.certificatePem);
          // A renewal that got its certificate before a crash or restart is finished now.
          if (this.#state.next?.certificatePem) await this.renewIfDue({ force: true });
          return this.#require();
        }
        // A held enrollment (RFC 7030 §4.2.3) is retried when the panel said, not before; the clock is
        // re-read every second so a long Retry-After survives suspend and clock steps.
        const retryAt = this.#state.next?.retryAt ? Date.parse(this.#state.next.retryAt) : 0;
        if (retryAt > this.#now().getTime()) {
          await sleep(Math.min(1_000, retryAt - this.#now().getTime()), signal);
          continue;
        }
        const enrolled = await this.#bootstrap();
        if (enrolled) return enrolled;
      } catch (error) {
        const code = codeOf(error);
        if (code === 'AGENT_STATE_CORRUPT' || code === 'ROT_KEY_CORRUPT') {
          // Never "repair" identity material by enrolling afresh: the files may be the only record
          // of the device's identity. Say what is wrong and wait for someone to fix it.
          this.#log.fatal(
            { err: error, code },
            'refusing to use corrupt identity state; it is kept as it is, fix or restore it',
          );
        } else {
          this.#log.error({ err: error, code }, 'no device identity yet; retrying');
        }
      }
      await sleep(backoff.next(), signal);
    }
    throw new AgentError('IDENTITY_MISSING', 'stopped before the device had an identity');
  }

  /**
   * Renews when due (or `force`): a new key in the root of trust, EST
   * simplereenroll authenticated by the current certificate, then a mutual-TLS
   * request with the new pair; only that success makes it current.
   */
  async renewIfDue(options: { readonly force?: boolean } = {}): Promise<RenewalOutcome> {
    const current = this.#require();
    if (!options.force && this.#now() < this.renewalDueAt(current)) return 'not-due';
    try {
      let next = this.#state.next;
      if (!next?.certificatePem) {
        const label = next?.label ?? otherLabel(current.key.label);
        if (next?.retryAt && this.#now() < new Date(next.retryAt)) return 'failed';
        const key = (next && (await this.#o.root.loadKey(label))) ?? (await this.#o.root.createKey(label));
        await this.#save({ ...this.#state, next: { label } });
        const outcome = await this.#enroll(
          'simplereenroll',
          key,
          { kind: 'certificate', identity: current.client },
          next?.heldCsr,
        ).catch(async (error: unknown) => {
          // Refused at the door while authenticating with the current certificate: it is revoked.
          if (error instanceof AgentError && error.code === 'IDENTITY_REFUSED') await this.markRevoked(error);
          throw error;
        });
        if (outcome.kind === 'pending') {
          await this.#save({
            ...this.#state,
            next: {
              label,
              heldCsr: Buffer.from(outcome.csrDer).toString('base64'),
              retryAt: new Date(this.#now().getTime() + outcome.retryAfterSeconds * 1000).toISOString(),
            },
          });
          return 'failed';
        }
        this.#checkIssued(outcome.certificatePem, key);
        // Kept before it is tried: a crash now leaves both pairs on disk, and the next start finishes the switch.
        await this.#save({ ...this.#state, next: { label, certificatePem: outcome.certificatePem } });
        next = this.#state.next;
      }
      if (!next?.certificatePem) return 'failed';
      const candidate = await this.#activate(next.label, next.certificatePem);
      await this.#probe(candidate);
      await this.#promote(candidate, current);
      this.#o.onEvent?.({
        kind: 'identity.renewed',
        severity: 3,
        body: {
          serial: candidate.serial,
          notAfter: candidate.notAfter.toISOString(),
          previousSerial: current.serial,
        },
      });
      this.#log.info(
        { serial: candidate.serial, notAfter: candidate.notAfter },
        'device certificate renewed',
      );
      return 'renewed';
    } catch (error) {
      if (error instanceof RootOfTrustError && error.code === 'ROT_RESTART_REQUIRED') {
        this.#log.warn('the renewed key can be used only after the agent restarts');
        return 'restart-required';
      }
      if (this.#state.revoked) return 'failed';
      this.#renewalFailed(current, error);
      return 'failed';
    }
  }

  /**
   * The panel refused the current certificate (revoked, unknown, device
   * decommissioned): stop using it, raise the alarm locally and, through the
   * outbox, towards the panel (the event waits there if it cannot be sent).
   */
  async markRevoked(cause: unknown): Promise<void> {
    const current = this.#active;
    if (!current || this.#state.revoked) return;
    await this.#save({ ...this.#state, revoked: { at: this.#now().toISOString(), serial: current.serial } });
    this.#log.fatal(
      { alarm: 'identity-revoked', serial: current.serial, err: cause },
      'ALARM: the panel refuses this device certificate (revoked, unknown or decommissioned); the agent stops using it',
    );
    this.#o.onEvent?.({ kind: 'identity.revoked', severity: 10, body: { serial: current.serial } });
    this.#active = undefined;
  }

  #renewalFailed(current: ActiveIdentity, error: unknown): void {
    const left = current.notAfter.getTime() - this.#now().getTime();
    const lifetime = current.notAfter.getTime() - current.notBefore.getTime();
    this.#log.warn(
      { err: error, code: codeOf(error), expiresInHours: Math.round(left / 3_600_000) },
      'renewal failed; the current certificate stays in use',
    );
    this.#o.onEvent?.({
      kind: 'identity.renewal-failed',
      severity: 5,
      body: {
        serial: current.serial,
        code: codeOf(error) ?? 'unknown',
        notAfter: current.notAfter.toISOString(),
      },
    });
    // The last tenth of the lifetime: say so, at most every hour, louder as expiry comes.
    if (left < lifetime / 10 && this.#now().getTime() - this.#lastExpiryWarning > 3_600_000) {
      this.#lastExpiryWarning = this.#now().getTime();
      this.#o.onEvent?.({
        kind: 'identity.expiring',
        severity: left < lifetime / 30 ? 9 : 7,
        body: { serial: current.serial, notAfter: current.notAfter.toISOString() },
      });
    }
  }

  async #bootstrap(): Promise<ActiveIdentity | undefined> {
    const token = await this.#o.bootstrapToken?.();
    const credential: EstCredential | undefined = this.#o.idevid
      ? { kind: 'certificate', identity: this.#o.idevid }
      : token
        ? { kind: 'token', deviceId: this.#o.deviceId, token }
        : undefined;
    if (!credential) {
      throw new AgentError(
        'IDENTITY_MISSING',
        'the device has no certificate and no bootstrap credential (enrollment token or IDevID) is configured',
      );
    }
    const label = this.#state.next?.label ?? LABELS[0];
    const held = this.#state.next?.heldCsr;
    const key = (held && (await this.#o.root.loadKey(label))) || (await this.#o.root.createKey(label));
    // The revocation stays on record until a new enrollment succeeds.
    const revoked = this.#state.revoked ? { revoked: this.#state.revoked } : {};
    await this.#save({ ...revoked, next: { label } });
    const outcome = await this.#enroll('simpleenroll', key, credential, held);
    if (outcome.kind === 'pending') {
      this.#log.info(
        { retryAfterSeconds: outcome.retryAfterSeconds },
        'enrollment held for operator approval',
      );
      await this.#save({
        ...revoked,
        next: {
          label,
          heldCsr: Buffer.from(outcome.csrDer).toString('base64'),
          retryAt: new Date(this.#now().getTime() + outcome.retryAfterSeconds * 1000).toISOString(),
        },
      });
      return undefined;
    }
    this.#checkIssued(outcome.certificatePem, key);
    const active = await this.#activate(label, outcome.certificatePem);
    await this.#save({ current: { label, certificatePem: outcome.certificatePem } });
    this.#active = active;
    for (const other of LABELS) if (other !== label) await this.#o.root.deleteKey(other);
    this.#log.info(
      { serial: active.serial, notAfter: active.notAfter, via: credential.kind },
      'device enrolled',
    );
    this.#o.onEvent?.({
      kind: 'identity.enrolled',
      severity: 3,
      body: { serial: active.serial, notAfter: active.notAfter.toISOString(), via: credential.kind },
    });
    return active;
  }

  async #enroll(
    operation: 'simpleenroll' | 'simplereenroll',
    key: IdentityKey,
    credential: EstCredential,
    heldCsr: string | undefined,
  ) {
    // EST fails over across panel URLs like the device API: a panel that cannot be reached (down,
    // or not presenting a certificate from the pinned CA) hands over to the next one.
    let lastError: unknown = new AgentError('AGENT_CONFIG_INVALID', 'no panel URL configured');
    for (const endpoint of this.#o.endpoints) {
      try {
        return await estEnroll({
          endpoint,
          operation,
          credential,
          ...(heldCsr ? { resubmit: new Uint8Array(Buffer.from(heldCsr, 'base64')) } : {}),
          ...(this.#o.estLabel ? { label: this.#o.estLabel } : {}),
          // The ASN.1 stack loads only when a CSR is made: an agent spends its life between enrollments.
          csrFor: async (binding) =>
            (await import('./csr.ts')).buildCsr(key, {
              commonName: this.#o.deviceId,
              ...(binding ? { challengePassword: binding } : {}),
            }),
        });
      } catch (error) {
        if (!(error instanceof AgentError && error.code === 'PANEL_UNREACHABLE')) throw error;
        this.#log.warn(
          { err: error, panel: endpoint.url.origin },
          'EST: panel unreachable, trying the next one',
        );
        lastError = error;
      }
    }
    throw lastError;
  }

  /** The issued certificate must certify our key, for our device: a panel answering otherwise is not trusted. */
  #checkIssued(certificatePem: string, key: IdentityKey): void {
    const certificate = new X509Certificate(certificatePem);
    const spki = new Uint8Array(certificate.publicKey.export({ format: 'der', type: 'spki' }));
    if (!Buffer.from(spki).equals(Buffer.from(key.publicKeySpki))) {
      throw new AgentError('PANEL_ANSWER_INVALID', 'the panel issued a certificate for another key');
    }
    if (!certificate.subject.split('\n').includes(`CN=${this.#o.deviceId}`)) {
      throw new AgentError(
        'PANEL_ANSWER_INVALID',
        `the panel issued a certificate for "${certificate.subject}", not this device`,
      );
    }
  }

  async #activate(label: string, certificatePem: string): Promise<ActiveIdentity> {
    const key = await this.#o.root.loadKey(label);
    if (!key) {
      throw new AgentError(
        'AGENT_STATE_CORRUPT',
        `${this.#o.store.path} names key "${label}", which the ${this.#o.root.kind} root of trust does not hold`,
      );
    }
    const certificate = new X509Certificate(certificatePem);
    this.#checkIssued(certificatePem, key);
    return {
      deviceId: this.#o.deviceId,
      key,
      certificatePem,
      serial: certificate.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
      notBefore: new Date(certificate.validFrom),
      notAfter: new Date(certificate.validTo),
      client: { certificatePem, key: key.tlsClientKey() },
    };
  }

  /** A mutual-TLS request with the candidate pair: the panel must accept it as this device. */
  async #probe(candidate: ActiveIdentity): Promise<void> {
    const client = new PanelClient(this.#o.endpoints, candidate.client);
    try {
      const self = await client.json<{ id?: unknown }>(
        'GET',
        `/v1/devices/${encodeURIComponent(this.#o.deviceId)}`,
      );
      if (self.id !== this.#o.deviceId) {
        throw new AgentError(
          'PANEL_ANSWER_INVALID',
          'the panel did not recognise the renewed certificate as this device',
        );
      }
    } finally {
      client.close();
    }
  }

  async #promote(candidate: ActiveIdentity, previous: ActiveIdentity): Promise<void> {
    await this.#save({ current: { label: candidate.key.label, certificatePem: candidate.certificatePem } });
    this.#active = candidate;
    for (const listener of this.#listeners) listener(candidate);
    // Only now is the old key worthless: delete it from the root of trust.
    await this.#o.root.deleteKey(previous.key.label);
  }

  async #save(state: IdentityState): Promise<void> {
    await this.#o.store.save(state);
    this.#state = state;
  }

  #require(): ActiveIdentity {
    if (!this.#active) throw new AgentError('IDENTITY_MISSING', 'the device has no usable identity');
    return this.#active;
  }
}

function otherLabel(label: string): string {
  return label === LABELS[0] ? LABELS[1] : LABELS[0];
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
