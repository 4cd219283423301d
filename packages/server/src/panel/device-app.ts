import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { registerAttestationDeviceRoutes } from '../attestation/index.ts';
import { registerDeviceApiRoutes } from '../channel/index.ts';
import { watchDeviceEvidence } from '../compliance/index.ts';
import { csrAttributesDer, EnrollmentError, registerEstRoutes } from '../est/index.ts';
import { installProblemHandlers } from '../http/problem.ts';
import { RequestError } from '../http/request-error.ts';
import { registerPolicyDeviceRoutes } from '../policies/index.ts';
import { registerRevocationRoutes } from '../revocation/index.ts';
import { createFastify } from './http-options.ts';
import type { PanelServices } from './services.ts';

/**
 * TLS groups offered in order: the hybrid post-quantum X25519MLKEM768 first
 * (OpenSSL 3.5 in Node 24), then classical groups for older clients.
 */
export const DEVICE_TLS_GROUPS = 'X25519MLKEM768:X25519:P-256:P-384';

/** How long a shutdown waits for device connections to finish before cutting them. */
const SHUTDOWN_GRACE_MS = 3_000;

export interface DeviceAppOptions {
  readonly services: PanelServices;
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly tls: { readonly key: string; readonly cert: string };
  /** Enrollments worked on at once; more get 503 + Retry-After. */
  readonly estMaxInFlight?: number;
}

export interface DeviceApp {
  readonly app: FastifyInstance;
  /** Reloads the trust anchors (after a manufacturer CA is trusted); applies to new connections. */
  refreshTrust(): Promise<void>;
}

/** The device that authenticated the request; routes with `device` access always have one. */
export function deviceOf(request: FastifyRequest): { readonly id: string; readonly serial: string } {
  if (!request.device)
    throw new RequestError(
      'CLIENT_CERTIFICATE_REQUIRED',
      'present a device certificate issued by this panel',
    );
  return request.device;
}

/**
 * The device listener: mutual TLS. The handshake asks every client for a
 * certificate and verifies what it gets against the panel's CAs and the
 * trusted manufacturer CAs, but lets a client without one through, so that
 * EST bootstrap routes can admit a device that has no LDevID yet and every
 * other route can refuse with a proper 401 problem document.
 */
export async function buildDeviceApp(options: DeviceAppOptions): Promise<DeviceApp> {
  const { ca, manufacturers, est, devicePeers } = options.services;
  const contextOptions = async (): Promise<SecureContextOptions> => ({
    key: options.tls.key,
    cert: options.tls.cert,
    ca: [
      ...ca.issuers.map((issuer) => issuer.certificatePem), // current and retired-but-valid issuing CAs
      ca.root.certificatePem,
      ...(await manufacturers.list()).map((m) => m.certificatePem),
    ],
    minVersion: 'TLSv1.2',
    ecdhCurve: DEVICE_TLS_GROUPS,
  });
  const app = createFastify({
    bodyLimit: options.bodyLimit,
    logger: options.logger.child({ listener: 'device' }),
    tls: {
      ...(await contextOptions()),
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: 10_000,
    },
  });
  app.removeContentTypeParser('text/plain');
  installProblemHandlers(app, (request, code, status) =>
    options.services.panelEvents.rejected({
      code,
      status,
      listener: 'device',
      remoteAddress: request.ip,
      method: request.method,
      path: request.url.split('?')[0] ?? '',
      ...(request.device ? { deviceId: request.device.id } : {}),
    }),
  );
  app.decorateRequest('device', undefined);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', async (request) => {
    // No route matched: the not-found handler answers 404 whoever asks.
    if (request.routeOptions.url === undefined) return;
    const access = request.routeOptions.config.deviceAccess ?? 'device';
    if (access !== 'device') return;
    const peer = await devicePeers.of(request);
    if (peer.kind === 'ldevid') {
      request.device = { id: peer.deviceId, serial: peer.serial };
      return;
    }
    if (peer.kind === 'refused') {
      throw new EnrollmentError(
        'DEVICE_CERTIFICATE_REFUSED',
        `the device certificate is ${peer.reason === 'unknown' ? 'not known to this panel' : peer.reason}`,
      );
    }
    throw new RequestError(
      'CLIENT_CERTIFICATE_REQUIRED',
      'present a device certificate issued by this panel',
    );
  });

  // Before the routes: devices re-evaluated for compliance after they report evidence.
  watchDeviceEvidence(app, options.services.compliance);
  registerEstRoutes(app, est, devicePeers, csrAttributesDer(), options.estMaxInFlight);
  registerRevocationRoutes(app, options.services.revocation);
  // Rejected WebSocket upgrades (and clients that never read the answer) leave sockets the HTTP
  // server no longer tracks; a shutdown waits for every socket, so those are cut after a grace period.
  const sockets = new Set<Socket>();
  app.server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  app.addHook('preClose', async () => {
    options.services.hub.closeAll(1001, 'the panel is shutting down');
    setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, SHUTDOWN_GRACE_MS).unref();
  });
  await registerDeviceApiRoutes(app, options.services);
  registerPolicyDeviceRoutes(app, options.services);
  registerAttestationDeviceRoutes(app, options.services);
  app.get('/v1/ping', async (request) => {
    const device = deviceOf(request);
    return { deviceId: device.id, serial: device.serial };
  });
  await app.ready();
  return {
    app,
    async refreshTrust() {
      (app.server as unknown as { setSecureContext(options: SecureContextOptions): void }).setSecureContext(
        await contextOptions(),
      );
    },
  };
}
