import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import { actorOf, principalOf } from '../operators/index.ts';
import type { ExporterQueue } from './exporter-queue.ts';

export interface ExporterRouteServices {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly exports: ExporterQueue;
}

const NAME = '^[a-z0-9][a-z0-9._-]{0,63}$';
/** Keys whose values are secrets: stored, used, never shown again. */
const SECRET_KEYS = new Set(['secret', 'authKey', 'privKey', 'community', 'keyPem']);

function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET_KEYS.has(key) ? '[redacted]' : redacted(inner)]),
  );
}

/** Operators manage SIEM exporters (SI-4): create, list with lag, delete. Secrets never come back. */
export function registerExporterRoutes(app: FastifyInstance, services: ExporterRouteServices): void {
  const { db, audit, exports } = services;

  app.get(
    '/v1/siem/exporters',
    {
      config: { access: 'siem:read' },
      schema: { tags: ['siem'], summary: 'Exporters with their queue lag' },
    },
    async () => {
      const rows = await db.query<{
        id: string;
        name: string;
        kind: string;
        config: unknown;
        min_severity: number;
        retention_seconds: number;
        enabled: boolean;
      }>(
        'SELECT id, name, kind, config, min_severity, retention_seconds, enabled FROM siem_exporters ORDER BY name',
      );
      const lag = new Map((await exports.lag()).map((l) => [l.exporterId, l]));
      return {
        exporters: rows.rows.map((row) => ({
          id: row.id,
          name: row.name,
          kind: row.kind,
          config: redacted(row.config),
          minSeverity: row.min_severity,
          retentionSeconds: row.retention_seconds,
          enabled: row.enabled,
          lag: lag.get(row.id) ?? null,
        })),
      };
    },
  );

  app.post<{
    Body: {
      name: string;
      kind: 'syslog' | 'snmp' | 'webhook';
      config: Record<string, unknown>;
      minSeverity?: number;
      retentionSeconds?: number;
    };
  }>(
    '/v1/siem/exporters',
    {
      config: { access: 'siem:manage' },
      schema: {
        tags: ['siem'],
        summary: 'Create an exporter; events stored from now on are queued for it',
        body: {
          type: 'object',
          required: ['name', 'kind', 'config'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: NAME },
            kind: { type: 'string', enum: ['syslog', 'snmp', 'webhook'] },
            config: { type: 'object', maxProperties: 32 },
            minSeverity: { type: 'integer', minimum: 0, maximum: 10 },
            retentionSeconds: { type: 'integer', minimum: 60, maximum: 90 * 86_400 },
          },
        },
      },
    },
    async (request, reply) => {
      const id = randomUUID();
      const { name, kind, config, minSeverity, retentionSeconds } = request.body;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO siem_exporters (id, name, kind, config, min_severity, retention_seconds)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, name, kind, JSON.stringify(config), minSeverity ?? 0, retentionSeconds ?? 604_800],
        );
        await audit.appendIn(tx, {
          actor: actorOf(principalOf(request)),
          action: 'siem.exporter-create',
          target: `exporter:${name}`,
          outcome: 'success',
          source: request.ip,
          details: { kind, config: redacted(config) as Record<string, unknown> },
        });
      });
      return reply.code(201).send({ id, name, kind });
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/v1/siem/exporters/:name',
    {
      config: { access: 'siem:manage' },
      schema: {
        tags: ['siem'],
        summary: 'Delete an exporter and its queue',
        params: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', pattern: NAME } },
        },
      },
    },
    async (request, reply) => {
      const deleted = await db.transaction(async (tx) => {
        const result = await tx.query('DELETE FROM siem_exporters WHERE name = $1 RETURNING id', [
          request.params.name,
        ]);
        if (result.rowCount > 0) {
          await audit.appendIn(tx, {
            actor: actorOf(principalOf(request)),
            action: 'siem.exporter-delete',
            target: `exporter:${request.params.name}`,
            outcome: 'success',
            source: request.ip,
          });
        }
        return result.rowCount > 0;
      });
      return reply.code(deleted ? 204 : 404).send(deleted ? undefined : { code: 'ROUTE_NOT_FOUND' });
    },
  );
}
