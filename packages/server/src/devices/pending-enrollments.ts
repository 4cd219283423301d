import { createHash, randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { DeviceError } from './device-errors.ts';
import type { RegistryActor } from './device-registry.ts';

export type PendingStatus = 'pending' | 'approved' | 'rejected' | 'issued';

export interface PendingEnrollment {
  readonly id: string;
  readonly deviceId: string;
  readonly operation: 'simpleenroll' | 'simplereenroll';
  readonly csrSha256: string;
  readonly status: PendingStatus;
  readonly decidedBy: string | null;
  readonly createdAt: string;
  readonly decidedAt: string | null;
}

interface PendingRow {
  id: string;
  device_id: string;
  operation: PendingEnrollment['operation'];
  csr_sha256: string;
  status: PendingStatus;
  decided_by: string | null;
  created_at: Date;
  decided_at: Date | null;
  token_id: string | null;
}

function toPending(row: PendingRow): PendingEnrollment {
  return {
    id: row.id,
    deviceId: row.device_id,
    operation: row.operation,
    csrSha256: row.csr_sha256,
    status: row.status,
    decidedBy: row.decided_by,
    createdAt: row.created_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
  };
}

export function csrFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Enrollments held for manual approval (RFC 7030 §4.2.3: 202 with
 * Retry-After). A device retries with the same CSR; the operator's decision
 * is what the retry finds.
 */
export class PendingEnrollments {
  readonly #db: Db;
  readonly #audit: AuditLog;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  async find(
    tx: Queryable,
    deviceId: string,
    csrDer: Uint8Array,
  ): Promise<(PendingEnrollment & { tokenId: string | null }) | undefined> {
    const result = await tx.query<PendingRow>(
      `SELECT id, device_id, operation, csr_sha256, status, decided_by, created_at, decided_at, token_id
       FROM pending_enrollments WHERE device_id = $1 AND csr_sha256 = $2 FOR UPDATE`,
      [deviceId, csrFingerprint(csrDer)],
    );
    const row = result.rows[0];
    return row ? { ...toPending(row), tokenId: row.token_id } : undefined;
  }

  async hold(
    tx: Queryable,
    by: RegistryActor,
    input: {
      deviceId: string;
      operation: PendingEnrollment['operation'];
      csrDer: Uint8Array;
      tokenId?: string | undefined;
    },
  ): Promise<void> {
    const id = randomUUID();
    await tx.query(
      `INSERT INTO pending_enrollments (id, device_id, operation, csr_sha256, csr_der, token_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        id,
        input.deviceId,
        input.operation,
        csrFingerprint(input.csrDer),
        Buffer.from(input.csrDer),
        input.tokenId ?? null,
      ],
    );
    await this.#audit.appendIn(tx, {
      ...by,
      action: 'enrollment.hold',
      target: `device:${input.deviceId}`,
      outcome: 'success',
      details: { enrollmentId: id, operation: input.operation },
    });
  }

  async markIssued(tx: Queryable, id: string): Promise<void> {
    await tx.query(`UPDATE pending_enrollments SET status = 'issued' WHERE id = $1`, [id]);
  }

  async list(status: PendingStatus | undefined): Promise<PendingEnrollment[]> {
    const result = await this.#db.query<PendingRow>(
      `SELECT id, device_id, operation, csr_sha256, status, decided_by, created_at, decided_at, token_id
       FROM pending_enrollments WHERE $1::text IS NULL OR status = $1 ORDER BY created_at`,
      [status ?? null],
    );
    return result.rows.map(toPending);
  }

  async decide(by: RegistryActor, id: string, approve: boolean): Promise<PendingEnrollment> {
    return this.#db.transaction(async (tx) => {
      const result = await tx.query<PendingRow>(
        `UPDATE pending_enrollments SET status = $2, decided_by = $3, decided_at = now()
         WHERE id = $1 AND status = 'pending'
         RETURNING id, device_id, operation, csr_sha256, status, decided_by, created_at, decided_at, token_id`,
        [id, approve ? 'approved' : 'rejected', by.actor],
      );
      const row = result.rows[0];
      if (!row) throw new DeviceError('ENROLLMENT_NOT_FOUND', `no pending enrollment ${id}`);
      await this.#audit.appendIn(tx, {
        ...by,
        action: approve ? 'enrollment.approve' : 'enrollment.reject',
        target: `device:${row.device_id}`,
        outcome: 'success',
        details: { enrollmentId: id, ...by.details },
      });
      return toPending(row);
    });
  }
}
