import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import { DEVICE_ID_PATTERN } from '../devices/index.ts';
import type { ReportIngest } from '../events/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import type { DevicePresence } from './device-presence.ts';
import type { PushHub } from './push-hub.ts';

export interface ChannelOperatorServices {
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly presence: DevicePresence;
  readonly hub: PushHub;
  readonly ingest: ReportIngest;
}

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: DEVICE_ID_PATTERN } },
} as const;

/** What operators see of the device channel: online/offline, inventory, recent reports, and "check in now". */
export function registerChannelOperatorRoutes(app: FastifyInstance, services: ChannelOperatorServices): void {
  const { audit, devices, presence, hub, ingest } = services;

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/presence',
    {
      config: { access: 'fleet:read' },
      schema: { tags: ['devices'], summary: 'Online or offline, last seen, agent', params: idParams },
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
      schema: { tags: ['devices'], summary: 'The latest inventory the device reported', params: idParams },
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
        params: idParams,
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

  app.post<{ Params: { id: string } }>(
    '/v1/devices/:id/refresh',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary: 'Push "desired state changed": the device pulls its desired state and reports at once',
        params: idParams,
      },
    },
    async (request) => {
      await devices.get(request.params.id);
      const delivered = await hub.publish(request.params.id, {
        type: 'desired-state-changed',
        reason: 'operator-refresh',
      });
      const principal = principalOf(request);
      await audit.append({
        actor: actorOf(principal),
        action: 'device.refresh',
        target: `device:${request.params.id}`,
        outcome: 'success',
        source: request.ip,
        details: { delivered },
      });
      return { delivered };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/devices/:id/renew-certificate',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary: 'Push "renew your certificate now" (e.g. after rotating the issuing CA)',
        params: idParams,
      },
    },
    async (request) => {
      await devices.get(request.params.id);
      const delivered = await hub.publish(request.params.id, {
        type: 'renew-certificate',
        reason: 'operator-request',
      });
      await audit.append({
        actor: actorOf(principalOf(request)),
        action: 'device.renew-certificate',
        target: `device:${request.params.id}`,
        outcome: 'success',
        source: request.ip,
        details: { delivered },
      });
      return { delivered };
    },
  );
}
