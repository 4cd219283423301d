import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, principalOf } from '../operators/index.ts';
import { REVOCATION_REASON_CODES, type RevocationReason } from '../pki/index.ts';
import type { DeviceRegistry, RegistryActor } from './device-registry.ts';
import {
  DEVICE_ID_PARAMS,
  DEVICE_ID_PATTERN,
  DEVICE_STATES,
  SECURITY_LEVELS,
  type SecurityLevel,
} from './device-types.ts';
import { type EnrollmentTokens, MAX_ENROLLMENT_TOKEN_TTL_SECONDS } from './enrollment-tokens.ts';
import type { ManufacturerTrust } from './manufacturer-trust.ts';
import type { PendingEnrollments, PendingStatus } from './pending-enrollments.ts';

export interface DeviceRouteServices {
  readonly devices: DeviceRegistry;
  readonly enrollmentTokens: EnrollmentTokens;
  readonly manufacturers: ManufacturerTrust;
  readonly pendingEnrollments: PendingEnrollments;
}

const deviceId = { type: 'string', pattern: DEVICE_ID_PATTERN } as const;
const groupName = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
// RFC 5280 §5.3.1 reasons an operator may give (removeFromCRL belongs to delta CRLs, not to revocation).
const REASONS = Object.keys(REVOCATION_REASON_CODES).filter((r) => r !== 'removeFromCRL');

function by(request: FastifyRequest): RegistryActor {
  const principal = principalOf(request);
  return {
    actor: actorOf(principal),
    source: request.ip,
    details: { credential: `${principal.credential.kind}:${principal.credential.id}` },
  };
}

/** The operator API of the device registry: devices, claims, tokens, revocation, groups, manufacturers, approvals. */
export function registerDeviceRoutes(app: FastifyInstance, services: DeviceRouteServices): void {
  const { devices, enrollmentTokens, manufacturers, pendingEnrollments } = services;

  app.get<{
    Querystring: { group?: string; state?: (typeof DEVICE_STATES)[number]; limit?: number; after?: string };
  }>(
    '/v1/devices',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['devices'],
        summary: 'Devices, ordered by ID; page with `after`',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            group: groupName,
            state: { type: 'string', enum: [...DEVICE_STATES] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            after: deviceId,
          },
        },
      },
    },
    async (request) => ({
      devices: await devices.list({ ...request.query, limit: request.query.limit ?? 100 }),
    }),
  );

  app.post<{ Body: { id: string; group?: string } }>(
    '/v1/devices',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary: 'Register a device (state claimed), to enroll with a token',
        body: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: deviceId, group: groupName },
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await devices.create(by(request), { id: request.body.id, group: request.body.group })),
  );

  app.post<{ Body: { id?: string; group?: string; idevidSerial?: string; idevidFingerprint?: string } }>(
    '/v1/devices/claims',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary:
          'Claim a device by its IDevID (subject serialNumber or SHA-256 fingerprint), so it may enroll with it',
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            id: deviceId,
            group: groupName,
            idevidSerial: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]+$' },
            idevidFingerprint: {
              type: 'string',
              pattern: '^(?:[0-9a-fA-F]{64}|(?:[0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2})$',
            },
          },
          anyOf: [{ required: ['idevidSerial'] }, { required: ['idevidFingerprint'] }],
        },
      },
    },
    async (request, reply) => {
      const fingerprint = request.body.idevidFingerprint?.replaceAll(':', '').toLowerCase();
      const id = request.body.id ?? request.body.idevidSerial ?? `idevid-${fingerprint?.slice(0, 16)}`;
      const device = await devices.create(by(request), {
        id,
        group: request.body.group,
        idevidSerial: request.body.idevidSerial,
        idevidFingerprint: fingerprint,
      });
      return reply.code(201).send(device);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['devices'],
        summary: 'One device with its certificate history',
        params: DEVICE_ID_PARAMS,
      },
    },
    async (request) => ({
      device: await devices.get(request.params.id),
      certificates: await devices.certificates(request.params.id),
    }),
  );

  app.post<{ Params: { id: string }; Body: { ttlSeconds?: number } }>(
    '/v1/devices/:id/enrollment-token',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary:
          'A one-time enrollment token for the device (shown once): HTTP Basic (user = device ID) or Bearer at simpleenroll',
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ttlSeconds: { type: 'integer', minimum: 60, maximum: MAX_ENROLLMENT_TOKEN_TTL_SECONDS },
          },
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await enrollmentTokens.issue(by(request), request.params.id, request.body?.ttlSeconds ?? 24 * 3600),
        ),
  );

  app.post<{ Params: { id: string }; Body: { reason?: RevocationReason } }>(
    '/v1/devices/:id/revoke',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary:
          "Revoke the device's certificates (RFC 5280 reason): CRL and OCSP updated, live connections closed",
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', enum: REASONS } },
        },
      },
    },
    async (request) => devices.revoke(by(request), request.params.id, request.body?.reason ?? 'unspecified'),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/devices/:id/decommission',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['devices'],
        summary: 'Take the device out of service for good',
        params: DEVICE_ID_PARAMS,
      },
    },
    async (request) => devices.decommission(by(request), request.params.id),
  );

  app.get(
    '/v1/groups',
    {
      config: { access: 'fleet:read' },
      schema: { tags: ['groups'], summary: 'Device groups and their enrollment profile' },
    },
    async () => ({
      groups: await devices.groups(),
    }),
  );

  app.put<{
    Params: { name: string };
    Body: {
      targetLevel: SecurityLevel;
      requireChannelBinding?: boolean;
      manualApproval?: boolean;
      certificateValidityDays?: number;
    };
  }>(
    '/v1/groups/:name',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['groups'],
        summary: 'Create or update a device group: target security level and EST profile',
        params: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: groupName },
        },
        body: {
          type: 'object',
          required: ['targetLevel'],
          additionalProperties: false,
          properties: {
            targetLevel: { type: 'string', enum: [...SECURITY_LEVELS] },
            requireChannelBinding: { type: 'boolean' },
            manualApproval: { type: 'boolean' },
            certificateValidityDays: { type: 'integer', minimum: 1, maximum: 825 },
          },
        },
      },
    },
    async (request) =>
      devices.upsertGroup(by(request), {
        name: request.params.name,
        targetLevel: request.body.targetLevel,
        requireChannelBinding: request.body.requireChannelBinding ?? false,
        manualApproval: request.body.manualApproval ?? false,
        certificateValidityDays: request.body.certificateValidityDays ?? 90,
      }),
  );

  app.get(
    '/v1/manufacturers',
    {
      config: { access: 'fleet:read' },
      schema: { tags: ['manufacturers'], summary: 'Trusted manufacturer (IDevID) CAs' },
    },
    async () => ({
      manufacturers: await manufacturers.list(),
    }),
  );

  app.post<{ Body: { name: string; certificatePem: string; autoClaim?: boolean; defaultGroup?: string } }>(
    '/v1/manufacturers',
    {
      config: { access: 'pki:manage' },
      schema: {
        tags: ['manufacturers'],
        summary: 'Trust a manufacturer CA for IDevID enrollment; with autoClaim its devices need no claim',
        body: {
          type: 'object',
          required: ['name', 'certificatePem'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\x20-\\x7e]+$' },
            certificatePem: { type: 'string', minLength: 100, maxLength: 20000 },
            autoClaim: { type: 'boolean' },
            defaultGroup: groupName,
          },
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await manufacturers.trust(by(request), {
          name: request.body.name,
          certificatePem: request.body.certificatePem,
          autoClaim: request.body.autoClaim ?? false,
          defaultGroup: request.body.defaultGroup ?? 'default',
        }),
      ),
  );

  app.get<{ Querystring: { status?: PendingStatus } }>(
    '/v1/enrollments',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['enrollments'],
        summary: 'Enrollments held for manual approval',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'approved', 'rejected', 'issued'] } },
        },
      },
    },
    async (request) => ({ enrollments: await pendingEnrollments.list(request.query.status) }),
  );

  for (const [verb, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/v1/enrollments/:id/${verb}`,
      {
        config: { access: 'fleet:manage' },
        schema: {
          tags: ['enrollments'],
          summary: approve
            ? 'Approve a held enrollment; the device gets its certificate at its next retry'
            : 'Reject a held enrollment',
          params: {
            type: 'object',
            required: ['id'],
            additionalProperties: false,
            properties: { id: { type: 'string', format: 'uuid' } },
          },
        },
      },
      async (request) => pendingEnrollments.decide(by(request), request.params.id, approve),
    );
  }
}
