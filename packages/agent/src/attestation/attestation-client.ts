import { AgentError } from '../agent-error.ts';
import type { Logger } from '../agent-logger.ts';
import type { PanelClient } from '../channel/panel-client.ts';
import type { JsonValue } from '../outbox/index.ts';
import { Backoff, sleep } from '../state/backoff.ts';
import {
  isAttestationKey,
  type PanelVerdict,
  parseBinding,
  parseChallenge,
  parseVerdict,
} from './panel-answers.ts';
import type { TpmAttestor } from './tpm-attestor.ts';

/** What the client needs of the TPM (TpmAttestor) and of the panel connection (PanelClient). */
export type Attestor = Pick<
  TpmAttestor,
  'akHandle' | 'endorsementKey' | 'existingAk' | 'createAk' | 'activateCredential' | 'quote'
>;

export interface AttestationClientOptions {
  readonly deviceId: string;
  readonly client: Pick<PanelClient, 'json'>;
  readonly attestor: Attestor;
  /** The EK certificate (PEM) from the TPM's NV, when it has one. */
  readonly ekCertificate: () => Promise<string | undefined>;
  /** The boot event log as bytes, or undefined when there is none to send. */
  readonly eventLog: () => Promise<Uint8Array | undefined>;
  /** The platform firmware version, to pick firmware-specific reference values. */
  readonly firmwareVersion?: () => Promise<string | undefined>;
  /** Appends a report to the outbox (the agent's `report`). */
  readonly report: (kind: string, severity: number, body: JsonValue) => Promise<unknown>;
  readonly logger: Logger;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
  readonly random?: () => number;
}

/** Until the first challenge says otherwise: the default profile's interval. */
const DEFAULT_INTERVAL_SECONDS = 3600;
/** Retries after a failure back off up to this. */
const RETRY_CAP_MS = 15 * 60_000;

/**
 * Remote attestation from the device (RT-2, CM-2): binds the AK once (the
 * panel proves it lives in this TPM by credential activation), then attests
 * at the profile's interval, jittered so a fleet does not attest in step,
 * and at once when the panel pushes `attest`. The device starts every
 * exchange, so it works behind NAT, and attests as soon as it is back online.
 * Each verdict is reported through the outbox.
 */
export class AttestationClient {
  readonly #o: AttestationClientOptions;
  readonly #log: Logger;
  #wake: (() => void) | undefined;
  #pending = false;

  constructor(options: AttestationClientOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'attestation' });
  }

  /** Attest now (a push from the panel), not at the next interval. */
  attestNow(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  /** Runs until `signal` aborts; a refused identity propagates (the session handles revocation). */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ baseMs: 1_000, capMs: RETRY_CAP_MS, ...this.#o.backoff });
    const random = this.#o.random ?? Math.random;
    let bound = false;
    let rebound = false;
    let intervalSeconds = DEFAULT_INTERVAL_SECONDS;
    const interval = () => intervalSeconds * 1000 * (0.9 + 0.2 * random());
    while (!signal.aborted) {
      let waitMs: number;
      try {
        if (!bound) {
          await this.#bind();
          bound = true;
        }
        const { verdict, nextSeconds } = await this.#attest();
        intervalSeconds = nextSeconds;
        backoff.reset();
        // The panel no longer knows the AK (reset, TPM replaced): bind again and attest at once, once.
        const unbound = verdict.code === 'AK_NOT_BOUND';
        bound = !unbound;
        waitMs = unbound && !rebound ? 1_000 : interval();
        rebound = unbound;
      } catch (error) {
        if (error instanceof AgentError && error.code === 'IDENTITY_REFUSED') throw error;
        // A refusal (4xx: untrusted EK certificate, failed activation) will not change in seconds,
        // and each one is a failing verdict on the panel: try again at the interval, not in a burst.
        const refused = error instanceof AgentError && error.code === 'PANEL_REFUSED' && isClientError(error);
        waitMs = refused ? interval() : Math.max(1_000, Math.min(backoff.next(), intervalSeconds * 1000));
        this.#log.warn({ err: error, retryInMs: Math.round(waitMs) }, 'attestation failed to complete');
      }
      await this.#sleep(waitMs, signal);
    }
  }

  async #bind(): Promise<void> {
    const { attestor, client, deviceId } = this.#o;
    const ekPublic = await attestor.endorsementKey();
    let akPublic = await attestor.existingAk();
    if (akPublic !== undefined && !isAttestationKey(akPublic)) {
      throw new AgentError(
        'AGENT_CONFIG_INVALID',
        `TPM handle 0x${attestor.akHandle.toString(16)} holds a key that is not an attestation key`,
      );
    }
    akPublic ??= await attestor.createAk(false);
    const ekCertificate = await this.#o.ekCertificate();
    const base = `/v1/devices/${encodeURIComponent(deviceId)}/attestation/ak`;
    const binding = parseBinding(
      await client.json('POST', base, {
        ekPublic: Buffer.from(ekPublic).toString('base64'),
        akPublic: Buffer.from(akPublic).toString('base64'),
        ...(ekCertificate === undefined ? {} : { ekCertificate }),
      }),
    );
    if (binding.status === 'active') {
      this.#log.debug({ keyId: binding.keyId }, 'attestation key already bound');
      return;
    }
    const secret = await attestor.activateCredential(binding.credential);
    await client.json('POST', `${base}/${encodeURIComponent(binding.keyId)}/activate`, {
      secret: Buffer.from(secret).toString('base64'),
    });
    this.#log.info({ keyId: binding.keyId, certified: ekCertificate !== undefined }, 'attestation key bound');
  }

  async #attest(): Promise<{ verdict: PanelVerdict; nextSeconds: number }> {
    const { attestor, client, deviceId } = this.#o;
    const path = `/v1/devices/${encodeURIComponent(deviceId)}/attestation`;
    const challenge = parseChallenge(await client.json('POST', `${path}/challenge`));
    const quote = await attestor.quote(challenge.nonce, challenge.tpm2Selection);
    const [eventLog, firmwareVersion] = await Promise.all([this.#o.eventLog(), this.#o.firmwareVersion?.()]);
    const answer = await client.json('POST', `${path}/evidence`, {
      nonce: Buffer.from(challenge.nonce).toString('base64'),
      message: Buffer.from(quote.message).toString('base64'),
      signature: Buffer.from(quote.signature).toString('base64'),
      pcrValues: Buffer.from(quote.pcrValues).toString('base64'),
      ...(eventLog === undefined ? {} : { eventLog: Buffer.from(eventLog).toString('base64') }),
      ...(firmwareVersion === undefined ? {} : { firmwareVersion }),
    });
    const verdict = parseVerdict(answer);
    const passed = verdict.result === 'pass';
    this.#log[passed ? 'info' : 'warn'](
      {
        verdictId: verdict.id,
        result: verdict.result,
        code: verdict.code,
        pcr: verdict.pcr,
        notRun: verdict.notRun,
      },
      passed ? 'attestation passed' : `attestation failed: ${verdict.message}`,
    );
    await this.#o.report('attestation.verdict', passed ? 2 : 7, {
      message: passed ? 'attestation passed' : `attestation failed: ${verdict.message}`,
      result: verdict.result,
      verdictId: verdict.id,
      ...(verdict.code === null ? {} : { reason: verdict.code.toLowerCase() }),
      ...(verdict.component === null ? {} : { component: verdict.component }),
      ...(verdict.pcr === null ? {} : { pcr: verdict.pcr }),
      ...(verdict.notRun.length === 0 ? {} : { notRun: verdict.notRun.join(',') }),
      eventLogSent: eventLog !== undefined,
    });
    return { verdict, nextSeconds: challenge.intervalSeconds };
  }

  /** Sleeps `ms`, or until attestNow() or `signal`. */
  async #sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    const local = new AbortController();
    const stop = () => local.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.#wake = stop;
    try {
      await sleep(ms, local.signal);
    } finally {
      this.#wake = undefined;
      signal.removeEventListener('abort', stop);
    }
  }
}

function isClientError(error: AgentError): boolean {
  const status = error.details?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
