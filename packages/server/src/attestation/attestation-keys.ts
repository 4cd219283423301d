import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';

/** How long a device has to answer the credential: activation takes a few TPM commands. */
export const CREDENTIAL_LIFETIME_SECONDS = 300;

export type AttestationKeyStatus = 'pending' | 'active' | 'superseded' | 'failed' | 'abandoned';

/** An attestation key as operators see it: which TPM (EK) and AK, how the EK was trusted, and its life. */
export interface AttestationKey {
  readonly id: string;
  readonly deviceId: string;
  readonly status: AttestationKeyStatus;
  readonly ekName: string;
  readonly ekTrust: 'certificate' | 'uncertified';
  readonly ekCertificateSubject: string | null;
  readonly ekCertificateIssuer: string | null;
  readonly akName: string;
  readonly ekChanged: boolean;
  readonly createdAt: string;
  readonly activatedAt: string | null;
  readonly endedAt: string | null;
}

/** The active key as the verifier needs it. */
export interface ActiveKey {
  readonly id: string;
  readonly akPublic: Uint8Array;
  readonly akName: string;
  readonly ekName: string;
}

export interface NewKey {
  readonly deviceId: string;
  readonly ekPublic: Uint8Array;
  readonly ekName: string;
  readonly ekCertificate:
    | { readonly der: Uint8Array; readonly subject: string; readonly issuer: string }
    | undefined;
  readonly akPublic: Uint8Array;
  readonly akName: string;
  readonly secret: Uint8Array;
  readonly ekChanged: boolean;
  readonly at: Date;
}

interface KeyRow {
  id: string;
  device_id: string;
  status: AttestationKeyStatus;
  ek_name: string;
  ek_trust: AttestationKey['ekTrust'];
  ek_certificate_subject: string | null;
  ek_certificate_issuer: string | null;
  ak_name: string;
  ek_changed: boolean;
  created_at: Date;
  activated_at: Date | null;
  ended_at: Date | null;
}

const COLUMNS = `id, device_id, status, ek_name, ek_trust, ek_certificate_subject, ek_certificate_issuer, ak_name,
  ek_changed, created_at, activated_at, ended_at`;

function toKey(row: KeyRow): AttestationKey {
  return {
    id: row.id,
    deviceId: row.device_id,
    status: row.status,
    ekName: row.ek_name,
    ekTrust: row.ek_trust,
    ekCertificateSubject: row.ek_certificate_subject,
    ekCertificateIssuer: row.ek_certificate_issuer,
    akName: row.ak_name,
    ekChanged: row.ek_changed,
    createdAt: row.created_at.toISOString(),
    activatedAt: row.activated_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
  };
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Attestation keys per device and their binding by credential activation
 * (TPM 2.0 Part 1 §24): a key is `pending` with the SHA-256 of the secret
 * its credential protects until the device returns that secret, which only
 * the TPM holding both the EK and an object with the AK's exact Name can
 * release; then it is the device's one `active` key.
 */
export class AttestationKeys {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async list(deviceId: string, limit = 20): Promise<AttestationKey[]> {
    const result = await this.#db.query<KeyRow>(
      `SELECT ${COLUMNS} FROM attestation_keys WHERE device_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [deviceId, limit],
    );
    return result.rows.map(toKey);
  }

  async activeIn(tx: Queryable, deviceId: string): Promise<ActiveKey | undefined> {
    const result = await tx.query<{ id: string; ak_public: Uint8Array; ak_name: string; ek_name: string }>(
      `SELECT id, ak_public, ak_name, ek_name FROM attestation_keys WHERE device_id = $1 AND status = 'active'`,
      [deviceId],
    );
    const row = result.rows[0];
    return row
      ? { id: row.id, akPublic: new Uint8Array(row.ak_public), akName: row.ak_name, ekName: row.ek_name }
      : undefined;
  }

  /** A pending key; earlier pending keys of the device are abandoned (one binding at a time). */
  async addPendingIn(tx: Queryable, key: NewKey): Promise<{ id: string; expiresAt: Date }> {
    await tx.query(
      `UPDATE attestation_keys SET status = 'abandoned', ended_at = $2, secret_sha256 = NULL
        WHERE device_id = $1 AND status = 'pending'`,
      [key.deviceId, key.at],
    );
    const id = randomUUID();
    const expiresAt = new Date(key.at.getTime() + CREDENTIAL_LIFETIME_SECONDS * 1000);
    await tx.query(
      `INSERT INTO attestation_keys (id, device_id, status, ek_public, ek_name, ek_certificate_der, ek_trust,
         ek_certificate_subject, ek_certificate_issuer, ak_public, ak_name, secret_sha256, challenge_expires_at,
         ek_changed, created_at)
       VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        id,
        key.deviceId,
        Buffer.from(key.ekPublic),
        key.ekName,
        key.ekCertificate ? Buffer.from(key.ekCertificate.der) : null,
        key.ekCertificate ? 'certificate' : 'uncertified',
        key.ekCertificate?.subject ?? null,
        key.ekCertificate?.issuer ?? null,
        Buffer.from(key.akPublic),
        key.akName,
        sha256(key.secret),
        expiresAt,
        key.ekChanged,
        key.at,
      ],
    );
    return { id, expiresAt };
  }

  /**
   * Checks the device's answer to a pending key's credential, in constant
   * time, once: right and in time makes it the active key (the previous one
   * is superseded); wrong or late fails it. Answers undefined when there is
   * no such pending key of this device.
   */
  async activateIn(
    tx: Queryable,
    deviceId: string,
    keyId: string,
    answer: Uint8Array,
    at: Date,
  ): Promise<{ outcome: 'activated' | 'wrong' | 'late'; key: AttestationKey } | undefined> {
    const found = await tx.query<{ secret_sha256: Uint8Array; challenge_expires_at: Date }>(
      `SELECT secret_sha256, challenge_expires_at FROM attestation_keys
        WHERE id = $1 AND device_id = $2 AND status = 'pending' FOR UPDATE`,
      [keyId, deviceId],
    );
    const row = found.rows[0];
    if (!row) return undefined;
    const right = timingSafeEqual(sha256(answer), Buffer.from(row.secret_sha256));
    const late = row.challenge_expires_at.getTime() < at.getTime();
    if (!right || late) {
      const result = await tx.query<KeyRow>(
        `UPDATE attestation_keys SET status = 'failed', ended_at = $2, secret_sha256 = NULL WHERE id = $1
         RETURNING ${COLUMNS}`,
        [keyId, at],
      );
      return { outcome: late ? 'late' : 'wrong', key: toKey(result.rows[0] as KeyRow) };
    }
    await tx.query(
      `UPDATE attestation_keys SET status = 'superseded', ended_at = $2 WHERE device_id = $1 AND status = 'active'`,
      [deviceId, at],
    );
    const result = await tx.query<KeyRow>(
      `UPDATE attestation_keys SET status = 'active', activated_at = $2, secret_sha256 = NULL WHERE id = $1
       RETURNING ${COLUMNS}`,
      [keyId, at],
    );
    return { outcome: 'activated', key: toKey(result.rows[0] as KeyRow) };
  }
}
