import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { Backoff, sleep } from '../state/backoff.ts';
import type { ClientIdentity, PanelEndpoint } from './panel-tls.ts';
import { channelTlsOptions } from './panel-tls.ts';

/** A push the agent acts on; it never trusts the push's content beyond "go and look". */
export type PushNotice =
  | { readonly type: 'hello'; readonly heartbeatSeconds: number }
  | { readonly type: 'desired-state-changed'; readonly reason: string }
  | { readonly type: 'renew-certificate'; readonly reason: string }
  /** Attest now: get a challenge, quote, post evidence (attestation/attestation-client.ts). */
  | { readonly type: 'attest'; readonly reason: string };

/** Larger frames are refused by ws (close 1009): the panel's pushes are a few dozen bytes. */
export const MAX_PUSH_BYTES = 64 * 1024;

export interface PushChannelOptions {
  readonly deviceId: string;
  /** Tried in order, starting with `preferred()` (the one the HTTPS client last reached). */
  readonly endpoints: readonly PanelEndpoint[];
  readonly preferred: () => PanelEndpoint;
  readonly identity: () => ClientIdentity | undefined;
  readonly onNotice: (notice: PushNotice) => void;
  readonly onRefused?: (status: number) => void;
  /** Told when the channel opens (true) and when an open channel closes (false). */
  readonly onConnectionChange?: (connected: boolean) => void;
  readonly logger: Logger;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}

/**
 * The WebSocket push channel on the device listener, with the device's own
 * certificate. It reconnects with backoff and jitter, moving to the next
 * panel URL when one fails; malformed pushes are logged and dropped, the
 * connection stays.
 */
export class PushChannel {
  readonly #o: PushChannelOptions;
  readonly #log: Logger;
  #socket: WebSocket | undefined;
  #connected = false;

  constructor(options: PushChannelOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'push' });
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Drops the current connection; the loop reconnects (e.g. with a renewed certificate). */
  reconnect(): void {
    const socket = this.#socket;
    if (!socket) return;
    // close() on a socket still connecting aborts its handshake with an error event; terminate is quieter.
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'reconnecting');
    else socket.terminate();
  }

  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#o.backoff);
    let endpointIndex = Math.max(0, this.#o.endpoints.indexOf(this.#o.preferred()));
    while (!signal.aborted) {
      const identity = this.#o.identity();
      if (!identity) {
        await sleep(backoff.next(), signal);
        continue;
      }
      const endpoint = this.#o.endpoints[endpointIndex % this.#o.endpoints.length] as PanelEndpoint;
      const opened = await this.#session(endpoint, identity, signal, () => backoff.reset());
      if (signal.aborted) break;
      if (!opened) endpointIndex += 1;
      else endpointIndex = Math.max(0, this.#o.endpoints.indexOf(this.#o.preferred()));
      await sleep(backoff.next(), signal);
    }
  }

  /** One connection, until it closes; answers whether it ever opened. */
  #session(
    endpoint: PanelEndpoint,
    identity: ClientIdentity,
    signal: AbortSignal,
    onOpen: () => void,
  ): Promise<boolean> {
    const key = identity.key;
    if (key.kind !== 'node-options') {
      this.#log.error('this root of trust cannot open the push channel (no in-process TLS key)');
      return Promise.resolve(false);
    }
    const url = new URL(`/v1/devices/${encodeURIComponent(this.#o.deviceId)}/channel`, endpoint.url);
    url.protocol = 'wss:';
    const servername = endpoint.serverName ?? url.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve) => {
      let opened = false;
      const options: WebSocket.ClientOptions = {
        ca: endpoint.caPem,
        cert: identity.certificatePem,
        ...key.options,
        ...(servername.includes(':') || /^[0-9.]+$/.test(servername) ? {} : { servername }),
        // ws hands this to tls.connect, which expects Node's (host, cert) => Error | undefined;
        // @types/ws declares a boolean-returning shape that Node never calls.
        checkServerIdentity: ((_host: string, certificate: PeerCertificate) =>
          checkServerIdentity(servername, certificate)) as unknown as NonNullable<
          WebSocket.ClientOptions['checkServerIdentity']
        >,
        ...channelTlsOptions(endpoint),
        maxPayload: MAX_PUSH_BYTES,
        handshakeTimeout: 15_000,
        perMessageDeflate: false,
      };
      const socket = new WebSocket(url, options);
      this.#socket = socket;
      const onAbort = () => socket.close(1001, 'agent stopping');
      signal.addEventListener('abort', onAbort, { once: true });
      socket.on('open', () => {
        opened = true;
        this.#connected = true;
        this.#o.onConnectionChange?.(true);
        onOpen();
        this.#log.info({ panel: endpoint.url.origin }, 'push channel open');
      });
      socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
      socket.on('unexpected-response', (_request, response) => {
        // With this listener ws leaves the handshake to us; terminate aborts the request and
        // emits 'close' (request.destroy() alone never did, so the loop hung after a refusal).
        socket.terminate();
        this.#log.warn({ status: response.statusCode, panel: endpoint.url.origin }, 'push channel refused');
        this.#o.onRefused?.(response.statusCode ?? 0);
      });
      socket.on('error', (error) =>
        this.#log.warn({ err: error, panel: endpoint.url.origin }, 'push channel error'),
      );
      socket.on('close', (code, reason) => {
        signal.removeEventListener('abort', onAbort);
        if (this.#socket === socket) this.#socket = undefined;
        if (this.#connected) {
          this.#log.info({ code, reason: reason.toString() }, 'push channel closed');
          this.#o.onConnectionChange?.(false);
        }
        this.#connected = false;
        resolve(opened);
      });
    });
  }

  #receive(data: WebSocket.RawData, isBinary: boolean): void {
    const notice = parseNotice(data, isBinary);
    if (!notice) {
      this.#log.error({ bytes: rawLength(data) }, 'ignored a malformed push message');
      return;
    }
    this.#o.onNotice(notice);
  }
}

function rawLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** Parses a push; anything but the known shapes is undefined (and logged by the caller). */
export function parseNotice(data: WebSocket.RawData, isBinary: boolean): PushNotice | undefined {
  if (isBinary) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, heartbeatSeconds, reason } = value as Record<string, unknown>;
  if (
    type === 'hello' &&
    typeof heartbeatSeconds === 'number' &&
    Number.isInteger(heartbeatSeconds) &&
    heartbeatSeconds >= 5 &&
    heartbeatSeconds <= 86_400
  ) {
    return { type, heartbeatSeconds };
  }
  if (
    (type === 'desired-state-changed' || type === 'renew-certificate' || type === 'attest') &&
    typeof reason === 'string' &&
    reason.length <= 200
  ) {
    return { type, reason };
  }
  return undefined;
}
