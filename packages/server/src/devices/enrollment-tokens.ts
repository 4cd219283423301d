import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { mintSecret, parseSecret, secretMatches } from '../security/index.ts';
import { DeviceError } from './device-errors.ts';
import type { RegistryActor } from './device-registry.ts';

export const MAX_ENROLLMENT_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export type TokenRefusal = 'unknown' | 'expired' | 'used' | 'wrong-device';

/**
 * One-time enrollment tokens (RFC 7030 §3.2.3 allows HTTP Basic for the
 * initial enrollment): tied to one device record, expiring, single use. Only
 * SHA-256 of the secret is stored.
 */
export class EnrollmentTokens {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  /** Issues a token for a device that may still enroll; the secret is returned once. */
  async issue(
    by: RegistryActor,
    deviceId: string,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: string }> {
    const minted = mintSecret('enr');
    const expiresAt = new Date(this.#now().getTime() + ttlSeconds * 1000);
    await this.#db.transaction(async (tx) => {
      const device = await tx.query<{ state: string }>('SELECT state FROM devices WHERE id = $1 FOR UPDATE', [
        deviceId,
      ]);
      const state = device.rows[0]?.state;
      if (!state) throw new DeviceError('DEVICE_NOT_FOUND', `no device ${deviceId}`);
      if (state === 'decommissioned')
        throw new DeviceError('DEVICE_STATE_CONFLICT', `device ${deviceId} is decommissioned`);
      await tx.query(
        'INSERT INTO enrollment_tokens (id, device_id, secret_hash, expires_at) VALUES ($1, $2, $3, $4)',
        [minted.id, deviceId, minted.secretHash, expiresAt],
      );
      await this.#audit.appendIn(tx, {
        ...by,
        action: 'device.enrollment-token',
        target: `device:${deviceId}`,
        outcome: 'success',
        details: { tokenId: minted.id, expiresAt: expiresAt.toISOString(), ...by.details },
      });
    });
    return { token: minted.token, expiresAt: expiresAt.toISOString() };
  }

  /** Checks a presented token without spending it (the issuing transaction spends it). */
  async inspect(
    token: string,
    claimedDeviceId: string | undefined,
  ): Promise<{ deviceId: string; tokenId: string } | { refused: TokenRefusal }> {
    return this.#check(this.#db, token, claimedDeviceId, false);
  }

  /**
   * Checks a presented token and, inside the caller's transaction, marks it
   * used: if issuance then fails, the transaction rolls back and the token
   * stays usable. `claimedDeviceId` is the HTTP Basic user name, when given.
   */
  async consume(
    tx: Queryable,
    token: string,
    claimedDeviceId: string | undefined,
  ): Promise<{ deviceId: string; tokenId: string } | { refused: TokenRefusal }> {
    return this.#check(tx, token, claimedDeviceId, true);
  }

  async #check(
    q: Queryable,
    token: string,
    claimedDeviceId: string | undefined,
    spend: boolean,
  ): Promise<{ deviceId: string; tokenId: string } | { refused: TokenRefusal }> {
    const parsed = parseSecret(token);
    if (parsed?.kind !== 'enr') return { refused: 'unknown' };
    const result = await q.query<{
      device_id: string;
      secret_hash: Uint8Array;
      expires_at: Date;
      used_at: Date | null;
    }>(
      `SELECT device_id, secret_hash, expires_at, used_at FROM enrollment_tokens WHERE id = $1${spend ? ' FOR UPDATE' : ''}`,
      [parsed.id],
    );
    const row = result.rows[0];
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return { refused: 'unknown' };
    if (claimedDeviceId !== undefined && claimedDeviceId !== row.device_id)
      return { refused: 'wrong-device' };
    if (row.used_at !== null) return { refused: 'used' };
    if (row.expires_at.getTime() <= this.#now().getTime()) return { refused: 'expired' };
    if (spend)
      await q.query('UPDATE enrollment_tokens SET used_at = $2 WHERE id = $1', [parsed.id, this.#now()]);
    return { deviceId: row.device_id, tokenId: parsed.id };
  }
}
