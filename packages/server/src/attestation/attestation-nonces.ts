import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import { NONCE_BYTES } from './evidence.ts';
import { VerdictFailure } from './verdict-failure.ts';

/** How long a challenge may be answered: a quote takes well under a second, a slow link a few. */
export const NONCE_LIFETIME_SECONDS = 300;
/** Unanswered nonces one device may hold; older ones are dropped (and become unknown). */
const MAX_OPEN_NONCES = 8;
/** Answered or expired nonces are kept this long, so a replay is named as such rather than as unknown. */
const KEEP_SPENT_SECONDS = 7 * 86_400;

/**
 * Single-use, expiring nonces for TPM2_Quote's qualifyingData (TPM 2.0
 * Part 3 §18.4): the quote's extraData must equal one, which makes every
 * quote fresh and bound to the challenge that asked for it.
 */
export class AttestationNonces {
  readonly #db: Db;
  readonly #now: () => Date;

  constructor(db: Db, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /** A fresh 256-bit nonce for `deviceId`, valid for NONCE_LIFETIME_SECONDS. */
  async issue(deviceId: string): Promise<{ nonce: Buffer; expiresAt: Date }> {
    const now = this.#now();
    // Buffers, not plain Uint8Arrays: pg sends only Buffers as bytea.
    const nonce = randomBytes(NONCE_BYTES);
    const expiresAt = new Date(now.getTime() + NONCE_LIFETIME_SECONDS * 1000);
    await this.#db.transaction(async (tx) => {
      await tx.query('DELETE FROM attestation_nonces WHERE device_id = $1 AND expires_at < $2', [
        deviceId,
        new Date(now.getTime() - KEEP_SPENT_SECONDS * 1000),
      ]);
      await tx.query(
        `DELETE FROM attestation_nonces WHERE nonce IN (
           SELECT nonce FROM attestation_nonces WHERE device_id = $1 AND used_at IS NULL AND expires_at > $2
           ORDER BY issued_at DESC OFFSET $3)`,
        [deviceId, now, MAX_OPEN_NONCES - 1],
      );
      await tx.query(
        'INSERT INTO attestation_nonces (nonce, device_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)',
        [nonce, deviceId, now, expiresAt],
      );
    });
    return { nonce, expiresAt };
  }

  /**
   * Spends the nonce evidence names, inside the transaction that records the
   * verdict: it must be known, this device's, unused and unexpired. An
   * expired one is spent too; another device's is left alone.
   *
   * @throws VerdictFailure NONCE_UNKNOWN, NONCE_WRONG_DEVICE, NONCE_REUSED or NONCE_EXPIRED.
   */
  async consumeIn(tx: Queryable, deviceId: string, nonce: Uint8Array): Promise<void> {
    const result = await tx.query<{ device_id: string; expires_at: Date; used_at: Date | null }>(
      'SELECT device_id, expires_at, used_at FROM attestation_nonces WHERE nonce = $1 FOR UPDATE',
      [Buffer.from(nonce)],
    );
    const row = result.rows[0];
    if (!row)
      throw new VerdictFailure('NONCE_UNKNOWN', 'the evidence answers a nonce this panel did not issue');
    if (row.device_id !== deviceId)
      throw new VerdictFailure('NONCE_WRONG_DEVICE', 'the evidence answers a nonce issued to another device');
    if (row.used_at !== null)
      throw new VerdictFailure(
        'NONCE_REUSED',
        `the nonce was already answered at ${row.used_at.toISOString()}: replayed evidence`,
      );
    const now = this.#now();
    await tx.query('UPDATE attestation_nonces SET used_at = $2 WHERE nonce = $1', [Buffer.from(nonce), now]);
    if (row.expires_at.getTime() <= now.getTime())
      throw new VerdictFailure(
        'NONCE_EXPIRED',
        `the nonce expired at ${row.expires_at.toISOString()}, before the evidence arrived`,
      );
  }
}
