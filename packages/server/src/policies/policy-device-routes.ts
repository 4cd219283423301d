import { POLICY_KINDS, type PolicyKind } from '@palisade/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import { requireOwnDevice } from '../channel/index.ts';
import { DEVICE_ID_PATTERN } from '../devices/index.ts';
import type { PolicyDelivery, PolicyStatusReport } from './policy-delivery.ts';

const PARAMS = {
  type: 'object',
  required: ['id', 'kind'],
  properties: {
    id: { type: 'string', pattern: DEVICE_ID_PATTERN },
    kind: { type: 'string', enum: [...POLICY_KINDS] },
  },
} as const;

/** The device side of policies, over mutual TLS: each device reads and reports only its own. */
export function registerPolicyDeviceRoutes(
  app: FastifyInstance,
  services: { readonly audit: AuditLog; readonly policyDelivery: PolicyDelivery },
): void {
  const { audit, policyDelivery } = services;
  const own = {
    preHandler: async (request: FastifyRequest) => void (await requireOwnDevice(audit, request)),
  };

  app.get<{ Params: { id: string; kind: PolicyKind } }>(
    '/v1/devices/:id/policies/:kind',
    { ...own, schema: { params: PARAMS } },
    async (request) => policyDelivery.envelope(request.params.id, request.params.kind),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/policy-trust',
    {
      ...own,
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: PARAMS.properties.id } },
      },
    },
    async () => policyDelivery.trust(),
  );

  app.post<{ Params: { id: string; kind: PolicyKind }; Body: PolicyStatusReport }>(
    '/v1/devices/:id/policies/:kind/status',
    {
      ...own,
      schema: {
        params: PARAMS,
        body: {
          type: 'object',
          required: ['policyId', 'version', 'state'],
          additionalProperties: false,
          properties: {
            policyId: { type: 'string', format: 'uuid' },
            version: { type: 'integer', minimum: 1 },
            state: {
              type: 'string',
              enum: ['applied', 'failed', 'rolled_back', 'drifted', 'repaired', 'removed'],
            },
            liveStateHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            message: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (request, reply) => {
      await policyDelivery.report(request.params.id, request.params.kind, request.body);
      return reply.code(204).send();
    },
  );
}
