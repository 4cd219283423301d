import type { OperatorRole } from '@palisade/core';
import type { FastifyInstance } from 'fastify';
import { principalOf } from './authenticate.ts';
import type { OperatorDirectory } from './operator-service.ts';
import { operatorSchema, passwordSchema, roleSchema, usernameParams, usernameSchema } from './schemas.ts';

interface CreateBody {
  username: string;
  role: OperatorRole;
  password?: string;
}

const createdSchema = {
  type: 'object',
  required: ['operator'],
  properties: {
    operator: operatorSchema,
    oneTimePassword: {
      type: 'string',
      description: 'shown once; the operator must change it at first login',
    },
  },
} as const;

export function registerOperatorRoutes(app: FastifyInstance, directory: OperatorDirectory): void {
  app.get(
    '/v1/operators',
    {
      config: { access: 'operators:read' },
      schema: {
        tags: ['operators'],
        summary: 'List operator accounts',
        response: {
          200: {
            type: 'object',
            required: ['operators'],
            properties: { operators: { type: 'array', items: operatorSchema } },
          },
        },
      },
    },
    async () => ({ operators: await directory.list() }),
  );

  app.post<{ Body: CreateBody }>(
    '/v1/operators',
    {
      config: { access: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: 'Create an operator; without a password a one-time password is generated and returned once',
        body: {
          type: 'object',
          required: ['username', 'role'],
          additionalProperties: false,
          properties: { username: usernameSchema, role: roleSchema, password: passwordSchema },
        },
        response: { 201: createdSchema },
      },
    },
    async (request, reply) => {
      const created = await directory.create(principalOf(request), request.body, request.ip);
      return reply.code(201).send(created);
    },
  );

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post<{ Params: { username: string } }>(
      `/v1/operators/:username/${verb}`,
      {
        config: { access: 'operators:manage' },
        schema: {
          tags: ['operators'],
          summary: disabled ? 'Disable an operator and end their sessions' : 'Enable a disabled operator',
          params: usernameParams,
          response: { 200: operatorSchema },
        },
      },
      async (request) =>
        directory.setDisabled(principalOf(request), request.params.username, disabled, request.ip),
    );
  }

  app.post<{ Params: { username: string } }>(
    '/v1/operators/:username/reset-password',
    {
      config: { access: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary:
          "Replace an operator's password with a one-time password (returned once) and end their sessions",
        params: usernameParams,
        response: {
          200: {
            type: 'object',
            required: ['oneTimePassword'],
            properties: { oneTimePassword: { type: 'string' } },
          },
        },
      },
    },
    async (request) => ({
      oneTimePassword: await directory.resetPassword(
        principalOf(request),
        request.params.username,
        request.ip,
      ),
    }),
  );
}
