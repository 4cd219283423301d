import { type RuleDocument, RuleError, sigmaToRule } from '@palisade/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDocument } from 'yaml';
import type { EventStore } from '../events/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import type { AlertStatus, AlertStore } from './alert-store.ts';
import type { RuleStore } from './rule-store.ts';

export interface DetectionRouteServices {
  readonly rules: RuleStore;
  readonly alerts: AlertStore;
  readonly eventStore: EventStore;
}

const RULE_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } as const;
const RULE_PARAMS = { type: 'object', required: ['id'], properties: { id: RULE_ID } } as const;
const ALERT_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;
/** A rule is checked by parseRuleDocument (every problem named by JSON pointer), not by this schema. */
const RULE_BODY = { type: 'object', maxProperties: 16 } as const;
const NOTE_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { note: { type: 'string', maxLength: 2000 } },
} as const;
/** Sigma rules are small; YAML anchors are capped so an alias bomb cannot expand. */
const MAX_SIGMA_CHARS = 65_536;

function actor(request: FastifyRequest) {
  return { actor: actorOf(principalOf(request)), source: request.ip };
}

/** Detection rules (SI-2, SI-3) and the alerts they raise, over the operator API. */
export function registerDetectionRoutes(app: FastifyInstance, services: DetectionRouteServices): void {
  const { rules, alerts, eventStore } = services;

  app.get(
    '/v1/rules',
    {
      config: { access: 'events:read' },
      schema: { tags: ['detection'], summary: 'Detection rules, current versions' },
    },
    async () => ({ rules: await rules.list() }),
  );

  app.post<{ Body: unknown }>(
    '/v1/rules',
    {
      config: { access: 'rules:manage' },
      schema: { tags: ['detection'], summary: 'Create a detection rule (version 1)', body: RULE_BODY },
    },
    async (request, reply) => reply.code(201).send(await rules.create(request.body, actor(request))),
  );

  app.post<{ Body: { sigma: string; id?: string; eventTypes?: string[]; dryRun?: boolean } }>(
    '/v1/rules/sigma',
    {
      config: { access: 'rules:manage' },
      schema: {
        tags: ['detection'],
        summary:
          'Import a Sigma rule (field-condition subset) as a detection rule; dryRun shows the conversion',
        body: {
          type: 'object',
          required: ['sigma'],
          additionalProperties: false,
          properties: {
            sigma: { type: 'string', minLength: 1, maxLength: MAX_SIGMA_CHARS },
            id: RULE_ID,
            eventTypes: {
              type: 'array',
              maxItems: 64,
              items: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{0,63}$' },
            },
            dryRun: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      const { sigma, id, eventTypes, dryRun } = request.body;
      const yaml = parseDocument(sigma, { uniqueKeys: true });
      if (yaml.errors.length > 0)
        throw new RuleError(
          'SIGMA_INVALID',
          `the Sigma rule is not valid YAML: ${yaml.errors[0]?.message ?? ''}`,
        );
      const document: RuleDocument = sigmaToRule(yaml.toJS({ maxAliasCount: 10 }), {
        ...(id !== undefined ? { id } : {}),
        ...(eventTypes !== undefined ? { eventTypes } : {}),
      });
      if (dryRun) return { rule: document };
      return reply.code(201).send(await rules.create(document, actor(request)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/rules/:id',
    {
      config: { access: 'events:read' },
      schema: { tags: ['detection'], summary: 'One detection rule', params: RULE_PARAMS },
    },
    async (request) => rules.get(request.params.id),
  );

  app.put<{ Params: { id: string }; Body: unknown }>(
    '/v1/rules/:id',
    {
      config: { access: 'rules:manage' },
      schema: {
        tags: ['detection'],
        summary: 'Save a new version of a rule',
        params: RULE_PARAMS,
        body: RULE_BODY,
      },
    },
    async (request) => rules.update(request.params.id, request.body, actor(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/rules/:id',
    {
      config: { access: 'rules:manage' },
      schema: {
        tags: ['detection'],
        summary: 'Delete a rule (its versions stay on record)',
        params: RULE_PARAMS,
      },
    },
    async (request, reply) => {
      await rules.delete(request.params.id, actor(request));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/rules/:id/versions',
    {
      config: { access: 'events:read' },
      schema: {
        tags: ['detection'],
        summary: 'Every saved version of a rule, newest first',
        params: RULE_PARAMS,
      },
    },
    async (request) => ({ versions: await rules.versions(request.params.id) }),
  );

  app.get<{ Querystring: { status?: AlertStatus; deviceId?: string; limit?: number } }>(
    '/v1/alerts',
    {
      config: { access: 'events:read' },
      schema: {
        tags: ['detection'],
        summary: 'Alerts, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
            deviceId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const { status, deviceId, limit } = request.query;
      return {
        alerts: await alerts.list({
          limit: limit ?? 100,
          ...(status !== undefined ? { status } : {}),
          ...(deviceId !== undefined ? { deviceId } : {}),
        }),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/alerts/:id',
    {
      config: { access: 'events:read' },
      schema: {
        tags: ['detection'],
        summary: 'One alert with its triggering events and the device context',
        params: ALERT_PARAMS,
      },
    },
    async (request) => {
      const alert = await alerts.get(request.params.id);
      return { ...alert, triggeringEvents: await eventStore.byRefs(alert.events) };
    },
  );

  for (const step of ['acknowledge', 'resolve'] as const) {
    app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
      `/v1/alerts/:id/${step}`,
      {
        config: { access: 'alerts:manage' },
        schema: {
          tags: ['detection'],
          summary: step === 'acknowledge' ? 'Acknowledge an open alert' : 'Resolve an alert',
          params: ALERT_PARAMS,
          body: NOTE_BODY,
        },
      },
      async (request) =>
        alerts.transition(request.params.id, step, {
          ...actor(request),
          ...(request.body?.note !== undefined ? { note: request.body.note } : {}),
        }),
    );
  }
}
