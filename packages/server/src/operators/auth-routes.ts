import type { FastifyInstance } from 'fastify';
import { principalOf, SESSION_COOKIE } from './authenticate.ts';
import type { OperatorCredentials } from './credentials.ts';
import { passwordSchema, roleSchema, usernameSchema } from './schemas.ts';

interface LoginBody {
  username: string;
  password: string;
  mode?: 'cookie' | 'token';
}

interface PasswordBody {
  currentPassword: string;
  newPassword: string;
}

const sessionSchema = {
  type: 'object',
  required: ['username', 'role', 'mustChangePassword', 'expiresAt', 'csrfToken'],
  properties: {
    username: { type: 'string' },
    role: roleSchema,
    mustChangePassword: { type: 'boolean' },
    expiresAt: { type: 'string', format: 'date-time' },
    csrfToken: {
      type: 'string',
      description: 'send as x-csrf-token with state-changing requests that use the cookie',
    },
    token: { type: 'string', description: 'bearer session token; only in mode "token" (CLI, automation)' },
  },
} as const;

export function registerAuthRoutes(
  app: FastifyInstance,
  credentials: OperatorCredentials,
  sessionTtlSeconds: number,
): void {
  app.post<{ Body: LoginBody }>(
    '/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary:
          'Log in; sets an HttpOnly session cookie, or returns a bearer session token with mode "token"',
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: usernameSchema,
            password: passwordSchema,
            mode: { type: 'string', enum: ['cookie', 'token'] },
          },
        },
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      const session = await credentials.login({
        username: request.body.username,
        password: request.body.password,
        source: request.ip,
      });
      const { token, ...rest } = session;
      if (request.body.mode === 'token') return { ...rest, token };
      void reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        secure: true,
        sameSite: 'strict',
        path: '/',
        maxAge: sessionTtlSeconds,
      });
      return rest;
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      config: { access: 'authenticated', allowDuringPasswordChange: true },
      schema: { tags: ['auth'], summary: 'End the current session', response: { 204: { type: 'null' } } },
    },
    async (request, reply) => {
      await credentials.logout(principalOf(request), request.ip);
      void reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/auth/me',
    {
      config: { access: 'authenticated', allowDuringPasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: 'Who the credential belongs to and what it may do',
        response: {
          200: {
            type: 'object',
            required: ['username', 'role', 'permissions', 'credential', 'mustChangePassword'],
            properties: {
              username: { type: 'string' },
              role: roleSchema,
              permissions: { type: 'array', items: { type: 'string' } },
              credential: { type: 'string', enum: ['session', 'token'] },
              mustChangePassword: { type: 'boolean' },
            },
          },
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return {
        username: principal.username,
        role: principal.role,
        permissions: [...principal.permissions].sort(),
        credential: principal.credential.kind,
        mustChangePassword: principal.mustChangePassword,
      };
    },
  );

  app.post<{ Body: PasswordBody }>(
    '/v1/auth/password',
    {
      config: { access: 'authenticated', allowDuringPasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: "Change the caller's password; ends the caller's other sessions",
        body: {
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
          properties: { currentPassword: passwordSchema, newPassword: passwordSchema },
        },
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await credentials.changePassword(
        principalOf(request),
        request.body.currentPassword,
        request.body.newPassword,
        request.ip,
      );
      return reply.code(204).send();
    },
  );
}
