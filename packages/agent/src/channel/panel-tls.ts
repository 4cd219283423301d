import type { Duplex } from 'node:stream';
import { connect, type TLSSocket, checkServerIdentity as tlsCheck } from 'node:tls';
import type { NodeTlsOptions } from '@palisade/core';
import { AgentError } from '../agent-error.ts';
import type { TlsClientKey } from '../roots/index.ts';

/** TLS groups offered in order: hybrid post-quantum first, as the panel prefers (CR-1). */
export const AGENT_TLS_GROUPS = 'X25519MLKEM768:X25519:P-256:P-384';

/** A panel the agent talks to: its device-listener URL and the pinned CA its certificate must chain to. */
export interface PanelEndpoint {
  readonly url: URL;
  /** The panel's root CA (PEM): the only trust anchor; the system store is never consulted. */
  readonly caPem: string;
  /** Name to check in the panel's certificate when it differs from the URL's host. */
  readonly serverName?: string;
  /**
   * The crypto policy's settings (CR-4), asked at every new connection;
   * undefined = the agent's defaults. See policies/crypto-applier.ts.
   */
  readonly tlsParameters?: () => NodeTlsOptions | undefined;
}

/** Versions, suites, groups and signature schemes of a new connection to `endpoint`. */
export function channelTlsOptions(endpoint: PanelEndpoint): {
  minVersion: NodeTlsOptions['minVersion'];
  ecdhCurve: string;
} & Partial<NodeTlsOptions> {
  return endpoint.tlsParameters?.() ?? { minVersion: 'TLSv1.2', ecdhCurve: AGENT_TLS_GROUPS };
}

/** A certificate and the root-of-trust key that proves it, for client authentication. */
export interface ClientIdentity {
  readonly certificatePem: string;
  readonly key: TlsClientKey;
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Opens a TLS connection to the panel, verifying its certificate against the
 * pinned CA and name, optionally authenticating with a client identity.
 * Resolves only after the handshake, so callers can read the channel binding.
 */
export function openPanelTls(
  endpoint: PanelEndpoint,
  identity?: ClientIdentity,
): Promise<TLSSocket | Duplex> {
  const host = endpoint.url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(endpoint.url.port || 443);
  const servername = endpoint.serverName ?? host;
  const key = identity?.key;
  if (key?.kind === 'connector') {
    return key.connect({
      host,
      port,
      servername,
      caPem: endpoint.caPem,
      certificatePem: identity?.certificatePem ?? '',
    });
  }
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // SNI is for names only (RFC 6066 §3); the certificate check still uses `servername`.
      ...(isIpAddress(servername) ? {} : { servername }),
      checkServerIdentity: (_hostname, certificate) =>
        // Node's default check, against the configured name rather than the connection's host.
        tlsCheck(servername, certificate),
      ca: endpoint.caPem,
      ...channelTlsOptions(endpoint),
      ...(identity && key ? { cert: identity.certificatePem, ...key.options } : {}),
      timeout: CONNECT_TIMEOUT_MS,
    });
    const fail = (error: Error) => {
      socket.destroy();
      reject(
        new AgentError(
          'PANEL_UNREACHABLE',
          `cannot reach the panel at ${endpoint.url.origin}: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    socket.once('timeout', () => fail(new Error(`no TLS handshake within ${CONNECT_TIMEOUT_MS / 1000} s`)));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      socket.setTimeout(0);
      resolve(socket);
    });
  });
}

function isIpAddress(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

/**
 * The TLS channel binding of a connection, for the EST CSR's challengePassword
 * (RFC 7030 §3.5): tls-exporter (RFC 9266) on TLS 1.3, tls-unique (RFC 5929)
 * on 1.2. Undefined when the connection is not Node's own TLS socket.
 */
export function channelBindingOf(socket: TLSSocket | Duplex): Uint8Array | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getProtocol !== 'function' || typeof tls.exportKeyingMaterial !== 'function')
    return undefined;
  if (tls.getProtocol() === 'TLSv1.3') {
    return new Uint8Array(tls.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)));
  }
  const finished = tls.isSessionReused?.() ? tls.getPeerFinished?.() : tls.getFinished?.();
  return finished ? new Uint8Array(finished) : undefined;
}
