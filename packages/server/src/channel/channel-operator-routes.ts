import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import { DEVICE_ID_PARAMS } from '../devices/index.ts';
import type { ReportIngest } from '../events/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import type { DevicePresence } from './device-presence.ts';
import type { PushHub, PushMessage } from './push-hub.ts';

export interface ChannelOperatorServices {
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly presence: DevicePresence;
  readonly hub: PushHub;
  readonly ingest: ReportIngest;
}

/** What operators see of the device channel: online/offline, inventory, recent reports, and "check in now". */
export function registerChannelOperatorRoutes(app: FastifyInstance, services: ChannelOperatorServices): void {
  const { audit, devices, presence, hub, ingest } = services;

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/presence',
    {
      config: { access: 'fleet:read' },
      schema: { tags: ['devices'], summary: 'Online or offline, last seen, agent', params: DEVICE_ID_PARAMS },
    },
    async (request) => {
      await devices.get(request.params.id);
      return presence.of(request.params.id);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/inventory',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['devices'],
        summary: 'The latest inventory the device reported',
        params: DEVICE_ID_PARAMS,
      },
    },
    async (request) => {
      await devices.get(request.params.id);
      return (await ingest.inventory(request.params.id)) ?? { reportedAt: null, inventory: null };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/devices/:id/reports',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['devices'],
        summary: 'Records the device delivered (events, inventory, states), newest first',
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
      },
    },
    async (request) => {
      await devices.get(request.params.id);
      return { reports: await ingest.recent(request.params.id, request.query.limit ?? 100) };
    },
  );

  /** An operator action that pushes one message to a device (on whichever replica holds its channel), audited. */
  const pushRoute = (path: string, summary: string, action: string, message: PushMessage) =>
    app.post<{ Params: { id: string } }>(
      `/v1/devices/:id/${path}`,
      {
        config: { access: 'fleet:manage' },
        schema: { tags: ['devices'], summary, params: DEVICE_ID_PARAMS },
      },
      async (request) => {
        await devices.get(request.params.id);
        const delivered = await hub.publish(request.params.id, message);
        await audit.append({
          actor: actorOf(principalOf(request)),
          action,
          target: `device:${request.params.id}`,
          outcome: 'success',
          source: request.ip,
          details: { delivered },
        });
        return { delivered };
      },
    );
  pushRoute(
    'refresh',
    'Push "desired state changed": the device pulls its desired state and reports at once',
    'device.refresh',
    { type: 'desired-state-changed', reason: 'operator-refresh' },
  );
  pushRoute(
    'renew-certificate',
    'Push "renew your certificate now" (e.g. after rotating the issuing CA)',
    'device.renew-certificate',
    { type: 'renew-certificate', reason: 'operator-request' },
  );
  pushRoute(
    'attest',
    'Push "attest now": the device fetches a challenge and answers with a TPM quote and its event log',
    'device.attest',
    { type: 'attest', reason: 'operator-request' },
  );
}
