import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEVICE_ID_PARAMS, type RegistryActor } from '../devices/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import type { AttestationProfile } from './attestation-profile.ts';
import type { AttestationService } from './attestation-service.ts';
import type { ReferenceSet } from './reference-store.ts';
import { parseReferenceValues, REFERENCE_VALUES_SCHEMA, referenceValuesJson } from './reference-values.ts';

export interface AttestationOperatorServices {
  readonly attestation: AttestationService;
}

const GROUP_PARAMS = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } },
} as const;

const firmwareVersion = { type: 'string', maxLength: 64, pattern: '^[\\x21-\\x7e]*$' } as const;

function by(request: FastifyRequest): RegistryActor {
  const principal = principalOf(request);
  return {
    actor: actorOf(principal),
    source: request.ip,
    details: { credential: `${principal.credential.kind}:${principal.credential.id}` },
  };
}

function setJson(set: ReferenceSet) {
  return { ...set, referenceValues: referenceValuesJson(set.referenceValues) };
}

/**
 * The operator side of attestation: reads under `fleet:read`; what decides
 * whether a device passes (reference values, profiles, trusted TPM CAs)
 * under `attestation:manage`, every change audited.
 */
export function registerAttestationOperatorRoutes(
  app: FastifyInstance,
  services: AttestationOperatorServices,
): void {
  const { attestation } = services;

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/devices/:id/attestation',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['attestation'],
        summary: 'Attestation status: keys, counters, quarantine, recent verdicts with their evidence',
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 } },
        },
      },
    },
    async (request) => attestation.overview(request.params.id, request.query.limit ?? 20),
  );

  app.post<{ Params: { id: string }; Body: { merge?: boolean; firmwareVersion?: string } | undefined }>(
    '/v1/devices/:id/attestation/record-golden',
    {
      config: { access: 'attestation:manage' },
      schema: {
        tags: ['attestation'],
        summary: "Set the device group's reference values to what this device's last replayed boot measured",
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { merge: { type: 'boolean' }, firmwareVersion },
        },
      },
    },
    async (request) => {
      const learned = await attestation.recordGolden(by(request), request.params.id, {
        ...(request.body?.merge === undefined ? {} : { merge: request.body.merge }),
        ...(request.body?.firmwareVersion === undefined
          ? {}
          : { firmwareVersion: request.body.firmwareVersion }),
      });
      return { ...setJson(learned), learnedFrom: learned.learnedFrom };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/groups/:name/reference-values',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['attestation'],
        summary: "The group's reference values, per firmware version ('' = any)",
        params: GROUP_PARAMS,
      },
    },
    async (request) => ({
      group: request.params.name,
      sets: (await attestation.references.list(request.params.name)).map(setJson),
    }),
  );

  app.put<{ Params: { name: string }; Body: { firmwareVersion?: string; referenceValues: unknown } }>(
    '/v1/groups/:name/reference-values',
    {
      config: { access: 'attestation:manage' },
      schema: {
        tags: ['attestation'],
        summary: "Replace the group's reference values for one firmware version (audited)",
        params: GROUP_PARAMS,
        body: {
          type: 'object',
          required: ['referenceValues'],
          additionalProperties: false,
          properties: { firmwareVersion, referenceValues: REFERENCE_VALUES_SCHEMA },
        },
      },
    },
    async (request) =>
      setJson(
        await attestation.references.put(by(request), {
          group: request.params.name,
          firmwareVersion: request.body.firmwareVersion ?? '',
          referenceValues: parseReferenceValues(request.body.referenceValues),
          action: 'attestation.reference-values.set',
        }),
      ),
  );

  app.get<{ Params: { name: string } }>(
    '/v1/groups/:name/attestation-profile',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['attestation'],
        summary: "The group's attestation profile (the default when none is set)",
        params: GROUP_PARAMS,
      },
    },
    async (request) => attestation.profiles.ofGroup(request.params.name),
  );

  app.put<{ Params: { name: string }; Body: AttestationProfile }>(
    '/v1/groups/:name/attestation-profile',
    {
      config: { access: 'attestation:manage' },
      schema: {
        tags: ['attestation'],
        summary:
          "Set the group's attestation profile: PCRs, interval, maximum age, action on failure (audited)",
        params: GROUP_PARAMS,
        body: {
          type: 'object',
          required: ['pcrSelection', 'intervalSeconds', 'maxAgeSeconds', 'actionOnFailure', 'ekCertificate'],
          additionalProperties: false,
          properties: {
            pcrSelection: {
              type: 'array',
              minItems: 1,
              maxItems: 24,
              items: { type: 'integer', minimum: 0, maximum: 23 },
            },
            intervalSeconds: { type: 'integer', minimum: 1, maximum: 604_800 },
            maxAgeSeconds: { type: 'integer', minimum: 1, maximum: 2_592_000 },
            actionOnFailure: { type: 'string', enum: ['alert', 'quarantine', 'revoke'] },
            ekCertificate: { type: 'string', enum: ['required', 'optional'] },
          },
        },
      },
    },
    async (request) => attestation.profiles.set(by(request), request.params.name, request.body),
  );

  app.get(
    '/v1/attestation/tpm-cas',
    {
      config: { access: 'fleet:read' },
      schema: { tags: ['attestation'], summary: 'TPM manufacturer CAs trusted for EK certificates' },
    },
    async () => ({ tpmCas: await attestation.tpmCas.list() }),
  );

  app.post<{ Body: { name: string; certificatePem: string } }>(
    '/v1/attestation/tpm-cas',
    {
      config: { access: 'attestation:manage' },
      schema: {
        tags: ['attestation'],
        summary: 'Trust a TPM manufacturer CA (root or intermediate) for EK certificates (audited)',
        body: {
          type: 'object',
          required: ['name', 'certificatePem'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128 },
            certificatePem: { type: 'string', minLength: 1, maxLength: 16_384 },
          },
        },
      },
    },
    async (request, reply) => {
      const ca = await attestation.tpmCas.trust(by(request), request.body);
      return reply.code(201).send(ca);
    },
  );
}
