import {
  isPolicyKind,
  POLICY_KINDS,
  POLICY_SCHEMAS,
  type PolicyKind,
  type PolicyScope,
} from '@palisade/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PushHub } from '../channel/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import { DEVICE_ID_PARAMS } from '../devices/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import { PoliciesError } from './policies-error.ts';
import type { PolicyAssignments } from './policy-assignments.ts';
import type { PolicyDelivery } from './policy-delivery.ts';
import type { PolicyRollouts } from './policy-rollouts.ts';
import type { PolicyStore, RolloutPlan } from './policy-store.ts';

export interface PolicyRouteServices {
  readonly policies: PolicyStore;
  readonly policyAssignments: PolicyAssignments;
  readonly policyRollouts: PolicyRollouts;
  readonly policyDelivery: PolicyDelivery;
  readonly devices: DeviceRegistry;
  readonly hub: PushHub;
}

const KIND = { type: 'string', enum: [...POLICY_KINDS] } as const;
const UUID = { type: 'string', format: 'uuid' } as const;
const NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
const ROLLOUT = {
  type: 'object',
  additionalProperties: false,
  required: ['phases'],
  properties: {
    phases: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: { type: 'integer', minimum: 1, maximum: 100 },
      description: 'cumulative percent of the devices per phase, ending at 100',
    },
    failureThreshold: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.2 },
    soakSeconds: { type: 'integer', minimum: 0, maximum: 7 * 86_400, default: 300 },
  },
} as const;
const SCOPE = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['fleet', 'group', 'tag', 'device'] },
    group: NAME,
    tag: { type: 'string', pattern: '^[a-z0-9][a-z0-9._:-]{0,63}$' },
    device: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
  },
} as const;

interface ScopeBody {
  type: PolicyScope['type'];
  group?: string;
  tag?: string;
  device?: string;
}

function scopeOf(body: ScopeBody): PolicyScope {
  const missing = (member: string) =>
    new PoliciesError('POLICY_ASSIGNMENT_INVALID', `a ${body.type} scope needs \`${member}\``);
  switch (body.type) {
    case 'fleet':
      return { type: 'fleet' };
    case 'group':
      if (body.group === undefined) throw missing('group');
      return { type: 'group', groupId: body.group };
    case 'tag':
      if (body.tag === undefined) throw missing('tag');
      return { type: 'tag', tag: body.tag };
    case 'device':
      if (body.device === undefined) throw missing('device');
      return { type: 'device', deviceId: body.device };
  }
}

function planOf(rollout: { phases: number[]; failureThreshold?: number; soakSeconds?: number } | undefined) {
  if (!rollout) return undefined;
  const phases = rollout.phases;
  if (phases.at(-1) !== 100 || phases.some((p, i) => i > 0 && p <= (phases[i - 1] ?? 0)))
    throw new PoliciesError(
      'POLICY_ASSIGNMENT_INVALID',
      'rollout phases must increase and end at 100 (cumulative percent of the devices)',
    );
  return {
    phases,
    failureThreshold: rollout.failureThreshold ?? 0.2,
    soakSeconds: rollout.soakSeconds ?? 300,
  } satisfies RolloutPlan;
}

function actor(request: FastifyRequest) {
  return { actor: actorOf(principalOf(request)), source: request.ip };
}

/** Operators author, assign and roll out policies (PD-1, PD-2). */
export function registerPolicyRoutes(app: FastifyInstance, services: PolicyRouteServices): void {
  const { policies, policyAssignments, policyRollouts, policyDelivery, devices, hub } = services;
  // Devices learn of a change by a push and pull their desired state; the push is a hint.
  const tell = async (deviceIds: readonly string[], reason: string) => {
    // This replica's snapshot goes at once (the others drop theirs on the NOTIFY of the change).
    policyDelivery.invalidate();
    await hub.publishMany(deviceIds, { type: 'desired-state-changed', reason });
  };
  const reachedBy = async (policyId: string) => {
    const effective = await policyAssignments.effective();
    return [...effective.byDevice]
      .filter(([, byKind]) => Object.values(byKind).some((p) => p?.policyId === policyId))
      .map(([id]) => id);
  };

  app.get<{ Params: { kind: string } }>(
    '/v1/policies/schemas/:kind',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'The JSON Schema (draft 2020-12) of a policy kind',
        params: { type: 'object', required: ['kind'], properties: { kind: KIND } },
      },
    },
    async (request) => (isPolicyKind(request.params.kind) ? POLICY_SCHEMAS[request.params.kind] : {}),
  );

  app.get(
    '/v1/policy-trust',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary:
          'The public keys that sign policies (devices pin them; operators can verify envelopes with them)',
      },
    },
    async () => policyDelivery.trust(),
  );

  app.get<{ Querystring: { kind?: PolicyKind } }>(
    '/v1/policies',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'Policies with their latest version',
        querystring: { type: 'object', additionalProperties: false, properties: { kind: KIND } },
      },
    },
    async (request) => ({ policies: await policies.list(request.query.kind) }),
  );

  app.post<{
    Body: { kind: PolicyKind; name: string; document: unknown; rollout?: { phases: number[] } };
  }>(
    '/v1/policies',
    {
      config: { access: 'policies:manage' },
      schema: {
        tags: ['policies'],
        summary: 'Create a policy and publish its version 1 (signed by the panel)',
        body: {
          type: 'object',
          required: ['kind', 'name', 'document'],
          additionalProperties: false,
          properties: { kind: KIND, name: NAME, document: {}, rollout: ROLLOUT },
        },
      },
    },
    async (request, reply) => {
      const { rollout, ...input } = request.body;
      const plan = planOf(rollout);
      const published = await policies.create(
        { ...input, ...(plan ? { rollout: plan } : {}) },
        actor(request),
      );
      return reply.code(201).send(published);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/policies/:id',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'A policy, its versions and the devices it applies to',
        params: { type: 'object', required: ['id'], properties: { id: UUID } },
      },
    },
    async (request) => ({
      ...(await policies.get(request.params.id)),
      versions: await policies.versions(request.params.id),
      devices: await reachedBy(request.params.id),
    }),
  );

  app.get<{ Params: { id: string; version: number } }>(
    '/v1/policies/:id/versions/:version',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'One published version: the signed envelope devices verify',
        params: {
          type: 'object',
          required: ['id', 'version'],
          properties: { id: UUID, version: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (request) => policies.envelope(request.params.id, request.params.version),
  );

  app.get<{ Params: { id: string; version: number } }>(
    '/v1/policies/:id/versions/:version/reports',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary:
          'What each device reported for this version (applied, failed, rolled back, drifted …) and when',
        params: {
          type: 'object',
          required: ['id', 'version'],
          properties: { id: UUID, version: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (request) => {
      const { publishedAt } = (await policies.versions(request.params.id)).find(
        (v) => v.version === request.params.version,
      ) ?? { publishedAt: null };
      return {
        publishedAt,
        reports: await policyDelivery.reports(request.params.id, request.params.version),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { document: unknown; rollout?: { phases: number[] } } }>(
    '/v1/policies/:id/versions',
    {
      config: { access: 'policies:manage' },
      schema: {
        tags: ['policies'],
        summary: 'Publish the next version of a policy, with an optional staged rollout',
        params: { type: 'object', required: ['id'], properties: { id: UUID } },
        body: {
          type: 'object',
          required: ['document'],
          additionalProperties: false,
          properties: { document: {}, rollout: ROLLOUT },
        },
      },
    },
    async (request, reply) => {
      const plan = planOf(request.body.rollout);
      const published = await policies.publish(
        request.params.id,
        { document: request.body.document, ...(plan ? { rollout: plan } : {}) },
        actor(request),
      );
      await tell(
        await reachedBy(published.policyId),
        `policy ${published.name} version ${published.version}`,
      );
      return reply.code(201).send(published);
    },
  );

  app.post<{ Params: { id: string }; Body: { document: unknown } }>(
    '/v1/policies/:id/preview',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'Check a new version without publishing it: the problems, or the devices it would reach',
        params: { type: 'object', required: ['id'], properties: { id: UUID } },
        body: {
          type: 'object',
          required: ['document'],
          additionalProperties: false,
          properties: { document: {} },
        },
      },
    },
    async (request) => {
      const policy = await policies.get(request.params.id);
      policies.check(policy.kind, request.body.document);
      return { valid: true, devices: await reachedBy(policy.id) };
    },
  );

  app.get(
    '/v1/policy-assignments',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'Every assignment of a policy to the fleet, a group, a tag or a device',
      },
    },
    async () => ({ assignments: await policyAssignments.list() }),
  );

  const ASSIGNMENT_BODY = {
    type: 'object',
    required: ['kind', 'scope'],
    additionalProperties: false,
    properties: {
      kind: KIND,
      scope: SCOPE,
      policyId: { anyOf: [UUID, { type: 'null' }] },
      dryRun: { type: 'boolean' },
    },
  } as const;

  app.put<{ Body: { kind: PolicyKind; scope: ScopeBody; policyId?: string | null; dryRun?: boolean } }>(
    '/v1/policy-assignments',
    {
      config: { access: 'policies:manage' },
      schema: {
        tags: ['policies'],
        summary:
          'Assign a policy to a scope (policyId null: remove); dryRun lists the devices whose effective policy would change',
        body: ASSIGNMENT_BODY,
      },
    },
    async (request) => {
      const { kind, policyId, dryRun } = request.body;
      const scope = scopeOf(request.body.scope);
      if (dryRun)
        return { dryRun: true, devices: await policyAssignments.preview(kind, scope, policyId ?? null) };
      const changed =
        policyId === undefined || policyId === null
          ? await policyAssignments.unassign(kind, scope, actor(request))
          : await policyAssignments.assign({ kind, scope, policyId }, actor(request));
      await tell(changed, `${kind} policy assignment`);
      return { devices: changed };
    },
  );

  app.put<{ Params: { id: string }; Body: { tags: string[] } }>(
    '/v1/devices/:id/tags',
    {
      config: { access: 'fleet:manage' },
      schema: {
        tags: ['policies'],
        summary: 'Set a device’s tags (policies can be assigned per tag)',
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          required: ['tags'],
          additionalProperties: false,
          properties: {
            tags: {
              type: 'array',
              maxItems: 32,
              uniqueItems: true,
              items: { type: 'string', pattern: '^[a-z0-9][a-z0-9._:-]{0,63}$' },
            },
          },
        },
      },
    },
    async (request) => {
      await devices.setTags(request.params.id, request.body.tags, actor(request));
      await tell([request.params.id], 'device tags');
      return { deviceId: request.params.id, tags: [...request.body.tags].sort() };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/effective-policy',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary:
          'The policy of each kind that applies to the device, where it comes from, and what the device reported',
        params: DEVICE_ID_PARAMS,
      },
    },
    async (request) => {
      await devices.get(request.params.id);
      return {
        effective: (await policyAssignments.effectiveFor(request.params.id)) ?? {},
        desired: await policyDelivery.desired(request.params.id),
        reported: await policyDelivery.statuses(request.params.id),
      };
    },
  );

  app.get(
    '/v1/policy-rollouts',
    {
      config: { access: 'fleet:read' },
      schema: { tags: ['policies'], summary: 'Policy rollouts, newest first' },
    },
    async () => ({ rollouts: await policyRollouts.list() }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/policy-rollouts/:id',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['policies'],
        summary: 'A rollout with the progress of its current phase',
        params: { type: 'object', required: ['id'], properties: { id: UUID } },
      },
    },
    async (request) => policyRollouts.progress(request.params.id),
  );

  for (const step of ['pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(
      `/v1/policy-rollouts/:id/${step}`,
      {
        config: { access: 'policies:manage' },
        schema: {
          tags: ['policies'],
          summary: `${step[0]?.toUpperCase()}${step.slice(1)} a rollout`,
          params: { type: 'object', required: ['id'], properties: { id: UUID } },
        },
      },
      async (request) => {
        const move = await policyRollouts.control(request.params.id, step, actor(request));
        await tell(move.devices, move.reason);
        return policyRollouts.progress(request.params.id);
      },
    );
  }
}
