import type { FastifyInstance } from 'fastify';
import type { AuditLog } from './audit-log.ts';

interface AuditQuerystring {
  limit?: number;
  before?: number;
  actor?: string;
  action?: string;
}

const entrySchema = {
  type: 'object',
  required: ['seq', 'at', 'actor', 'action', 'outcome', 'details', 'prevHash', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string' },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    outcome: { type: 'string', enum: ['success', 'failure', 'denied'] },
    source: { type: ['string', 'null'] },
    details: { type: 'object', additionalProperties: true },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

export function registerAuditRoutes(app: FastifyInstance, audit: AuditLog): void {
  app.get<{ Querystring: AuditQuerystring }>(
    '/v1/audit',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first; page with `before`',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            before: { type: 'integer', minimum: 1 },
            actor: { type: 'string', maxLength: 200 },
            action: { type: 'string', maxLength: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['entries'],
            properties: { entries: { type: 'array', items: entrySchema }, nextBefore: { type: 'integer' } },
          },
        },
      },
    },
    async (request, reply) => {
      // The database builds the document; the response schema above describes it for OpenAPI.
      const page = await audit.listJson({ ...request.query, limit: request.query.limit ?? 50 });
      return reply
        .type('application/json; charset=utf-8')
        .serializer((payload: unknown) => payload as string)
        .send(page);
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain and report the first broken link',
        response: {
          200: {
            type: 'object',
            required: ['ok', 'checked', 'head'],
            properties: {
              ok: { type: 'boolean' },
              checked: { type: 'integer' },
              head: { type: 'string' },
              firstBreak: {
                type: 'object',
                required: ['seq', 'reason'],
                properties: {
                  seq: { type: 'integer' },
                  reason: { type: 'string' },
                  expectedSeq: { type: 'integer' },
                },
              },
            },
          },
        },
      },
    },
    async () => audit.verify(),
  );
}
