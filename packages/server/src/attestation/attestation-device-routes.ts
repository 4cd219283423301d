import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import { requireOwnDevice } from '../channel/index.ts';
import { DEVICE_ID_PARAMS, DEVICE_ID_PATTERN } from '../devices/index.ts';
import type { AttestationService } from './attestation-service.ts';
import { base64Bytes, EVIDENCE_LIMITS, EVIDENCE_SCHEMA, type EvidenceBody } from './evidence.ts';

export interface AttestationDeviceServices {
  readonly audit: AuditLog;
  readonly attestation: AttestationService;
}

const BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
/** TPM2B_PUBLIC: QUOTE_LIMITS.maxPublicBytes (1 KiB), base64. */
const tpmPublic = { type: 'string', minLength: 4, maxLength: 1368, pattern: BASE64 } as const;

const KEY_PARAMS = {
  type: 'object',
  required: ['id', 'keyId'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: DEVICE_ID_PATTERN },
    keyId: { type: 'string', format: 'uuid' },
  },
} as const;

/**
 * The device side of attestation, on the device listener (mutual TLS, each
 * device only its own paths). The device initiates everything, so it works
 * behind NAT: bind an AK, ask for a challenge, post evidence, get the verdict.
 */
export function registerAttestationDeviceRoutes(
  app: FastifyInstance,
  services: AttestationDeviceServices,
): void {
  const { audit, attestation } = services;
  const own = {
    preHandler: async (request: FastifyRequest) => void (await requireOwnDevice(audit, request)),
  };

  app.post<{
    Params: { id: string };
    Body: { ekPublic: string; ekCertificate?: string; akPublic: string };
  }>(
    '/v1/devices/:id/attestation/ak',
    {
      ...own,
      schema: {
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          required: ['ekPublic', 'akPublic'],
          additionalProperties: false,
          properties: {
            ekPublic: tpmPublic,
            ekCertificate: { type: 'string', minLength: 1, maxLength: 16_384 },
            akPublic: tpmPublic,
          },
        },
      },
    },
    async (request) =>
      attestation.beginBinding(request.params.id, {
        ekPublic: base64Bytes(request.body.ekPublic),
        akPublic: base64Bytes(request.body.akPublic),
        ...(request.body.ekCertificate === undefined ? {} : { ekCertificatePem: request.body.ekCertificate }),
      }),
  );

  app.post<{ Params: { id: string; keyId: string }; Body: { secret: string } }>(
    '/v1/devices/:id/attestation/ak/:keyId/activate',
    {
      ...own,
      schema: {
        params: KEY_PARAMS,
        body: {
          type: 'object',
          required: ['secret'],
          additionalProperties: false,
          // TPM2B_DIGEST: at most 64 bytes.
          properties: { secret: { type: 'string', minLength: 4, maxLength: 88, pattern: BASE64 } },
        },
      },
    },
    async (request) =>
      attestation.activateBinding(request.params.id, request.params.keyId, base64Bytes(request.body.secret)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/devices/:id/attestation/challenge',
    { ...own, schema: { params: DEVICE_ID_PARAMS } },
    async (request) => attestation.challenge(request.params.id),
  );

  app.post<{ Params: { id: string }; Body: EvidenceBody }>(
    '/v1/devices/:id/attestation/evidence',
    {
      ...own,
      // Keylime GHSA-6xx7-m45w-76m2: the body is capped before it is parsed; the log again before decoding.
      bodyLimit: EVIDENCE_LIMITS.maxBodyBytes,
      schema: { params: DEVICE_ID_PARAMS, body: EVIDENCE_SCHEMA },
    },
    async (request) => {
      const verdict = await attestation.submitEvidence(request.params.id, request.body);
      return {
        verdict: {
          id: verdict.id,
          result: verdict.result,
          component: verdict.component,
          code: verdict.code,
          message: verdict.message,
          pcr: verdict.pcr,
          eventIndex: verdict.eventIndex,
          eventType: verdict.eventType,
          notRun: verdict.notRun,
          createdAt: verdict.createdAt,
        },
      };
    },
  );
}
