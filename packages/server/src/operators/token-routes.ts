import type { OperatorRole } from '@palisade/core';
import type { FastifyInstance } from 'fastify';
import { principalOf } from './authenticate.ts';
import { MAX_TOKEN_TTL_SECONDS, type OperatorCredentials } from './credentials.ts';
import { roleSchema, tokenInfoSchema } from './schemas.ts';

interface CreateTokenBody {
  name: string;
  role: OperatorRole;
  ttlSeconds?: number;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 90 * 24 * 3600;

export function registerTokenRoutes(app: FastifyInstance, credentials: OperatorCredentials): void {
  app.get(
    '/v1/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['tokens'],
        summary: "The caller's API tokens (every token for admins); secrets are never shown again",
        response: {
          200: {
            type: 'object',
            required: ['tokens'],
            properties: { tokens: { type: 'array', items: tokenInfoSchema } },
          },
        },
      },
    },
    async (request) => ({ tokens: await credentials.listTokens(principalOf(request)) }),
  );

  app.post<{ Body: CreateTokenBody }>(
    '/v1/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['tokens'],
        summary:
          'Create an API token scoped to a role no more powerful than the caller; the secret is returned once',
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\x20-\\x7e]+$' },
            role: roleSchema,
            ttlSeconds: { type: 'integer', minimum: 60, maximum: MAX_TOKEN_TTL_SECONDS },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['token', 'info'],
            properties: { token: { type: 'string' }, info: tokenInfoSchema },
          },
        },
      },
    },
    async (request, reply) => {
      const created = await credentials.createToken(
        principalOf(request),
        {
          name: request.body.name,
          role: request.body.role,
          ttlSeconds: request.body.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
        },
        request.ip,
      );
      return reply.code(201).send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/tokens/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token (own tokens; any token for admins)',
        params: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: { type: 'string', format: 'uuid' } },
        },
        response: { 200: tokenInfoSchema },
      },
    },
    async (request) => credentials.revokeToken(principalOf(request), request.params.id, request.ip),
  );
}
