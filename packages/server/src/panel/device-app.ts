import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { installProblemHandlers } from '../http/problem.ts';
import { RequestError } from '../http/request-error.ts';
import { createFastify } from './http-options.ts';
import type { PanelServices } from './services.ts';

/**
 * TLS groups offered in order: the hybrid post-quantum X25519MLKEM768 first
 * (OpenSSL 3.5 in Node 24), then classical groups for older clients.
 */
export const DEVICE_TLS_GROUPS = 'X25519MLKEM768:X25519:P-256:P-384';

export interface DeviceAppOptions {
  readonly services: PanelServices;
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly tls: { readonly key: string; readonly cert: string };
}

export interface PeerCertificate {
  readonly subject: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
}

/**
 * The one place that reads the client certificate, so that routes never touch
 * the socket. Null when the client sent none or it did not chain to our CA.
 */
export function verifiedPeerCertificate(request: FastifyRequest): PeerCertificate | null {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const peer = socket.getPeerCertificate(false);
  if (!peer || Object.keys(peer).length === 0) return null;
  const subject = Object.entries(peer.subject ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
  return { subject, serialNumber: peer.serialNumber, fingerprint256: peer.fingerprint256 };
}

/**
 * The device listener: mutual TLS. The handshake asks every client for a
 * certificate but does not fail without one, so that the refusal is a proper
 * 401 problem document (and, from the identity issue on, so that EST bootstrap
 * routes can admit a device that has no operational certificate yet).
 */
export async function buildDeviceApp(options: DeviceAppOptions): Promise<FastifyInstance> {
  const { ca } = options.services;
  const app = createFastify({
    bodyLimit: options.bodyLimit,
    logger: options.logger.child({ listener: 'device' }),
    tls: {
      key: options.tls.key,
      cert: options.tls.cert,
      ca: [ca.issuing.certificatePem, ca.root.certificatePem],
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ecdhCurve: DEVICE_TLS_GROUPS,
      handshakeTimeout: 10_000,
    },
  });
  app.removeContentTypeParser('text/plain');
  installProblemHandlers(app);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', async (request) => {
    if (!verifiedPeerCertificate(request)) {
      throw new RequestError(
        'CLIENT_CERTIFICATE_REQUIRED',
        'present a device certificate issued by this panel',
      );
    }
  });

  app.get('/v1/ping', async (request) => {
    const peer = verifiedPeerCertificate(request) as PeerCertificate;
    return { subject: peer.subject, serialNumber: peer.serialNumber, fingerprint256: peer.fingerprint256 };
  });
  await app.ready();
  return app;
}
