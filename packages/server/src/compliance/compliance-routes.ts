/**
 * The compliance API (operator listener, `fleet:read`): a device control by
 * control, a group's matrix, the fleet and its trend, and signed reports.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEVICE_ID_PARAMS, DEVICE_ID_PATTERN } from '../devices/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import { REPORT_FORMATS, type ReportFormat, reportFileName } from './compliance-report.ts';
import type { ComplianceService } from './compliance-service.ts';
import type { StoredReport } from './report-store.ts';

export interface ComplianceRouteServices {
  readonly compliance: ComplianceService;
}

const GROUP_NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
const REPORT_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
  },
} as const;
/** A downloaded HTML report can never run anything, whoever opens it. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

function sendReport(reply: FastifyReply, report: StoredReport): FastifyReply {
  const name = reportFileName(
    { group: { name: report.group }, generatedAt: report.generatedAt },
    report.format,
  );
  void reply
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('x-palisade-report-id', report.id)
    .header('x-palisade-report-signature', `/v1/compliance/reports/${report.id}/signature`)
    // RFC 9530: the digest of the bytes sent, which the signature's messageDigest repeats.
    .header('repr-digest', `sha-256=:${Buffer.from(report.sha256, 'hex').toString('base64')}:`)
    .type(report.mediaType);
  if (report.format === 'html') void reply.header('content-security-policy', REPORT_CSP);
  return reply.send(report.content);
}

export function registerComplianceRoutes(app: FastifyInstance, services: ComplianceRouteServices): void {
  const { compliance } = services;

  app.get<{ Params: { id: string } }>(
    '/v1/compliance/devices/:id',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['compliance'],
        summary:
          'The device evaluated now: every control with reason and evidence, achieved vs target level, gaps and remedies',
        params: DEVICE_ID_PARAMS,
      },
    },
    async (request) => compliance.device(request.params.id),
  );

  app.get<{ Params: { name: string }; Querystring: { after?: string; limit?: number } }>(
    '/v1/compliance/groups/:name',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['compliance'],
        summary:
          'A group: devices per achieved level, the most failing controls, and a page of its controls × devices matrix',
        params: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: GROUP_NAME },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'string', pattern: DEVICE_ID_PATTERN },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (request) =>
      compliance.group(request.params.name, {
        after: request.query.after,
        limit: request.query.limit ?? 100,
      }),
  );

  app.get<{ Querystring: { days?: number } }>(
    '/v1/compliance/fleet',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['compliance'],
        summary: 'Devices per achieved level in each group, the most failing controls, the daily trend',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { days: { type: 'integer', minimum: 1, maximum: 366, default: 30 } },
        },
      },
    },
    async (request) => compliance.fleet(request.query.days ?? 30),
  );

  app.get<{ Querystring: { group: string; format?: ReportFormat } }>(
    '/v1/compliance/report',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['compliance'],
        summary:
          'A signed report of a group, evaluated now (json, csv, html or pdf); its detached CMS signature is at the URL in x-palisade-report-signature',
        querystring: {
          type: 'object',
          required: ['group'],
          additionalProperties: false,
          properties: {
            group: GROUP_NAME,
            format: { type: 'string', enum: [...REPORT_FORMATS], default: 'json' },
          },
        },
      },
    },
    async (request, reply) => {
      const report = await compliance.report({
        group: request.query.group,
        format: request.query.format ?? 'json',
        actor: actorOf(principalOf(request)),
        source: request.ip,
      });
      return sendReport(reply, report);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/compliance/reports/:id',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['compliance'],
        summary: 'A report again, byte for byte as it was first handed out',
        params: REPORT_ID_PARAMS,
      },
    },
    async (request, reply) => sendReport(reply, await compliance.storedReport(request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/compliance/reports/:id/signature',
    {
      config: { access: 'fleet:read' },
      schema: {
        tags: ['compliance'],
        summary:
          "A report's detached CMS signature (DER, RFC 5652): openssl cms -verify -binary -inform DER -in sig -content report -CAfile root-ca.pem",
        params: REPORT_ID_PARAMS,
      },
    },
    async (request, reply) => {
      const report = await compliance.storedReport(request.params.id);
      const name = reportFileName(
        { group: { name: report.group }, generatedAt: report.generatedAt },
        report.format,
      );
      return reply
        .header('content-disposition', `attachment; filename="${name}.p7s"`)
        .header('x-palisade-report-id', report.id)
        .type('application/pkcs7-signature')
        .send(report.signature);
    },
  );
}
