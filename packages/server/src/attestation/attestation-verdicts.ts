import { newUuidV7 } from '@palisade/core';
import type { Db, Queryable } from '../db/index.ts';
import type { VerdictCode, VerdictComponent, VerdictFailure } from './verdict-failure.ts';
import { VERDICT_REASONS } from './verdict-reasons.ts';
import type { SkippedCheck } from './verify-evidence.ts';

/** What a verdict was reached on; every field is optional because a verdict may fail before it exists. */
export interface VerdictEvidence {
  /** The nonce the evidence named, hex. */
  readonly nonce?: string;
  /** TPMS_ATTEST and TPMT_SIGNATURE as sent, base64. */
  readonly quote?: { readonly message: string; readonly signature: string };
  /** The quoted SHA-256 PCR values (only once the quote verified). */
  readonly pcrs?: Readonly<Record<string, string>>;
  readonly counters?: { readonly clock: string; readonly resetCount: number; readonly restartCount: number };
  readonly rebooted?: boolean;
  readonly eventLogSha256?: string;
  readonly firmwareVersion?: string;
  readonly akName?: string;
  readonly ekName?: string;
  readonly referenceVersion?: number;
}

/** One attestation result (CM-2): pass or fail, what failed and where, and what it was based on. */
export interface AttestationVerdict {
  readonly id: string;
  readonly deviceId: string;
  readonly keyId: string | null;
  readonly result: 'pass' | 'fail';
  readonly component: VerdictComponent | null;
  readonly code: VerdictCode | null;
  readonly message: string;
  readonly pcr: number | null;
  readonly eventIndex: number | null;
  readonly eventType: string | null;
  readonly severity: number;
  readonly recoverable: boolean;
  readonly notRun: readonly SkippedCheck[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly evidence: VerdictEvidence;
  readonly createdAt: string;
}

export interface NewVerdict {
  readonly deviceId: string;
  readonly keyId: string | null;
  readonly failure: VerdictFailure | undefined;
  readonly notRun: readonly SkippedCheck[];
  readonly evidence: VerdictEvidence;
  readonly at: Date;
}

interface VerdictRow {
  id: string;
  device_id: string;
  key_id: string | null;
  result: 'pass' | 'fail';
  component: VerdictComponent | null;
  code: VerdictCode | null;
  message: string;
  pcr: number | null;
  event_index: number | null;
  event_type: string | null;
  severity: number;
  recoverable: boolean;
  not_run: SkippedCheck[];
  details: Record<string, unknown>;
  evidence: VerdictEvidence;
  created_at: Date;
}

const COLUMNS = `id, device_id, key_id, result, component, code, message, pcr, event_index, event_type, severity,
  recoverable, not_run, details, evidence, created_at`;

function toVerdict(row: VerdictRow): AttestationVerdict {
  return {
    id: row.id,
    deviceId: row.device_id,
    keyId: row.key_id,
    result: row.result,
    component: row.component,
    code: row.code,
    message: row.message,
    pcr: row.pcr,
    eventIndex: row.event_index,
    eventType: row.event_type,
    severity: row.severity,
    recoverable: row.recoverable,
    notRun: row.not_run,
    details: row.details,
    evidence: row.evidence,
    createdAt: row.created_at.toISOString(),
  };
}

/** Verdict records: append-only, newest first on read. */
export class AttestationVerdicts {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async recordIn(tx: Queryable, verdict: NewVerdict): Promise<AttestationVerdict> {
    const failure = verdict.failure;
    const reason = failure ? VERDICT_REASONS[failure.code] : undefined;
    const skipped = verdict.notRun.length > 0 ? ` (not checked: ${verdict.notRun.join(', ')})` : '';
    const result = await tx.query<VerdictRow>(
      `INSERT INTO attestation_verdicts (id, device_id, key_id, result, component, code, message, pcr, event_index,
         event_type, severity, recoverable, not_run, details, evidence, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ${COLUMNS}`,
      [
        newUuidV7(),
        verdict.deviceId,
        verdict.keyId,
        failure ? 'fail' : 'pass',
        failure?.component ?? null,
        failure?.code ?? null,
        failure ? failure.message.slice(0, 1000) : `attestation passed${skipped}`,
        failure?.pcr ?? null,
        failure?.eventIndex ?? null,
        failure?.eventType ?? null,
        reason?.severity ?? 1,
        reason?.recoverable ?? true,
        verdict.notRun,
        JSON.stringify(failure?.details ?? {}),
        JSON.stringify(verdict.evidence),
        verdict.at,
      ],
    );
    return toVerdict(result.rows[0] as VerdictRow);
  }

  async recent(deviceId: string, limit: number): Promise<AttestationVerdict[]> {
    const result = await this.#db.query<VerdictRow>(
      `SELECT ${COLUMNS} FROM attestation_verdicts WHERE device_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [deviceId, limit],
    );
    return result.rows.map(toVerdict);
  }
}
