/**
 * Reports as they were handed out: the exact bytes and their signature, so
 * that the signature fetched later is over the very bytes downloaded, from
 * whichever replica answers.
 */
import type { Queryable } from '../db/index.ts';
import { ComplianceError } from './compliance-error.ts';
import type { ReportFormat } from './compliance-report.ts';

/** Reports older than this are pruned by the full pass. */
export const REPORT_RETENTION_DAYS = 400;

export interface StoredReport {
  readonly id: string;
  readonly group: string;
  readonly format: ReportFormat;
  readonly mediaType: string;
  readonly content: Buffer;
  readonly sha256: string;
  readonly signature: Buffer;
  readonly devices: number;
  readonly generatedBy: string;
  readonly generatedAt: string;
}

export async function storeReport(q: Queryable, report: StoredReport): Promise<void> {
  await q.query(
    `INSERT INTO compliance_reports (id, group_name, format, media_type, content, sha256, signature, devices,
       generated_by, generated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      report.id,
      report.group,
      report.format,
      report.mediaType,
      report.content,
      report.sha256,
      report.signature,
      report.devices,
      report.generatedBy,
      report.generatedAt,
    ],
  );
}

export async function loadReport(q: Queryable, id: string): Promise<StoredReport> {
  const result = await q.query<{
    id: string;
    group_name: string;
    format: ReportFormat;
    media_type: string;
    content: Buffer | Uint8Array;
    sha256: string;
    signature: Buffer | Uint8Array;
    devices: number;
    generated_by: string;
    generated_at: Date;
  }>('SELECT * FROM compliance_reports WHERE id::text = $1', [id]);
  const row = result.rows[0];
  if (!row) throw new ComplianceError('REPORT_NOT_FOUND', `no compliance report ${id}`);
  return {
    id: row.id,
    group: row.group_name,
    format: row.format,
    mediaType: row.media_type,
    // PGlite answers bytea as Uint8Array, pg as Buffer.
    content: Buffer.from(row.content),
    sha256: row.sha256,
    signature: Buffer.from(row.signature),
    devices: row.devices,
    generatedBy: row.generated_by,
    generatedAt: row.generated_at.toISOString(),
  };
}

export async function pruneReports(q: Queryable, now: Date): Promise<void> {
  await q.query('DELETE FROM compliance_reports WHERE generated_at < $1', [
    new Date(now.getTime() - REPORT_RETENTION_DAYS * 24 * 3600 * 1000),
  ]);
}
