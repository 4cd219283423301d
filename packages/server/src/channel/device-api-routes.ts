import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import { DEVICE_ID_PARAMS } from '../devices/index.ts';
import type { DeviceReport, ReportIngest } from '../events/index.ts';
import { RequestError } from '../http/request-error.ts';
import { ChannelError } from './channel-error.ts';
import { type DesiredState, desiredState } from './desired-state.ts';
import type { DevicePresence } from './device-presence.ts';
import type { PushHub } from './push-hub.ts';

export interface DeviceApiServices {
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly presence: DevicePresence;
  readonly hub: PushHub;
  readonly ingest: ReportIngest;
  /** The device's effective policies (the policies context); none when absent. */
  readonly policyDelivery?: {
    desired(deviceId: string): Promise<DesiredState['policies']>;
  };
}

/** Records per outbox batch; agents send at most this many per request. */
export const MAX_REPORTS_PER_BATCH = 1000;
/** A device has nothing to say over the push channel but pongs; anything bigger is refused by ws (1009). */
const MAX_CHANNEL_MESSAGE_BYTES = 4 * 1024;
/** ws-level ping: finds half-open connections (a device that lost power) without application traffic. */
const CHANNEL_PING_MS = 30_000;

const reportSchema = {
  type: 'object',
  required: ['id', 'kind', 'severity', 'createdAt', 'body'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    kind: { type: 'string', pattern: '^[a-z][a-z0-9.-]{0,63}$' },
    severity: { type: 'integer', minimum: 0, maximum: 10 },
    createdAt: { type: 'string', format: 'date-time' },
    body: {},
  },
} as const;

/**
 * Every device API path names the device (`/v1/devices/<id>/…`), and only
 * that device's own certificate opens it: device A asking for B's resources
 * gets 403 and leaves a security record in the audit log.
 */
export async function requireOwnDevice(audit: AuditLog, request: FastifyRequest): Promise<string> {
  const device = request.device;
  if (!device)
    throw new RequestError(
      'CLIENT_CERTIFICATE_REQUIRED',
      'present a device certificate issued by this panel',
    );
  const asked = (request.params as { id: string }).id;
  if (asked === device.id) return asked;
  await audit.append({
    actor: `device:${device.id}`,
    action: 'device.access-denied',
    target: `device:${asked}`,
    outcome: 'denied',
    source: request.ip,
    details: {
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      serial: device.serial,
    },
  });
  throw new ChannelError('DEVICE_FORBIDDEN', `this certificate belongs to device ${device.id}, not ${asked}`);
}

/** The device listener's API for agents: check-in, outbox delivery, desired state, and the push channel. */
export async function registerDeviceApiRoutes(
  app: FastifyInstance,
  services: DeviceApiServices,
): Promise<void> {
  const { audit, devices, presence, hub, ingest } = services;
  const own = {
    preHandler: async (request: FastifyRequest) => void (await requireOwnDevice(audit, request)),
  };
  await app.register(websocket, { options: { maxPayload: MAX_CHANNEL_MESSAGE_BYTES } });

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id',
    { schema: { params: DEVICE_ID_PARAMS }, ...own },
    async (request) => {
      const device = await devices.get(request.params.id);
      return { id: device.id, group: device.group, state: device.state };
    },
  );

  app.post<{
    Params: { id: string };
    Body: { agentVersion: string; rootOfTrust: { kind: string; hardwareBacked: boolean } };
  }>(
    '/v1/devices/:id/check-in',
    {
      ...own,
      schema: {
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          required: ['agentVersion', 'rootOfTrust'],
          additionalProperties: false,
          properties: {
            agentVersion: { type: 'string', minLength: 1, maxLength: 64 },
            rootOfTrust: {
              type: 'object',
              required: ['kind', 'hardwareBacked'],
              additionalProperties: false,
              properties: {
                kind: { type: 'string', enum: ['software', 'pkcs11', 'tpm'] },
                hardwareBacked: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
    async (request) => {
      await presence.checkIn(request.params.id, {
        agentVersion: request.body.agentVersion,
        rootOfTrust: request.body.rootOfTrust.kind,
        hardwareBacked: request.body.rootOfTrust.hardwareBacked,
        address: request.ip,
      });
      return { heartbeatSeconds: presence.heartbeatSeconds, serverTime: new Date().toISOString() };
    },
  );

  app.post<{ Params: { id: string }; Body: { records: DeviceReport[] } }>(
    '/v1/devices/:id/reports',
    {
      ...own,
      schema: {
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          required: ['records'],
          additionalProperties: false,
          properties: { records: { type: 'array', maxItems: MAX_REPORTS_PER_BATCH, items: reportSchema } },
        },
      },
    },
    async (request) => ingest.ingest(request.params.id, request.body.records),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/desired-state',
    { ...own, schema: { params: DEVICE_ID_PARAMS } },
    async (request) =>
      desiredState({
        heartbeatSeconds: presence.heartbeatSeconds,
        policies: (await services.policyDelivery?.desired(request.params.id)) ?? {},
      }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/channel',
    { ...own, websocket: true, schema: { params: DEVICE_ID_PARAMS } },
    (socket, request) => {
      const deviceId = request.params.id;
      hub.add(deviceId, socket);
      const log = request.log.child({ deviceId });
      void presence
        .channelOpened(deviceId)
        .catch((error: unknown) => log.warn({ err: error }, 'presence update failed'));
      let alive = true;
      socket.on('pong', () => {
        alive = true;
      });
      const ping = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, CHANNEL_PING_MS);
      ping.unref();
      socket.on('message', () => {
        // The channel is one-way; a device that talks on it is misbehaving (RFC 6455 §7.4.1: 1008).
        socket.close(1008, 'the push channel carries no device messages');
      });
      socket.on('close', () => {
        clearInterval(ping);
        hub.remove(deviceId, socket);
        void presence
          .channelClosed(deviceId)
          .catch((error: unknown) => log.warn({ err: error }, 'presence update failed'));
      });
      socket.send(JSON.stringify({ type: 'hello', deviceId, heartbeatSeconds: presence.heartbeatSeconds }));
    },
  );
}
