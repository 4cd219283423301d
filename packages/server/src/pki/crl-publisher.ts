import type { Db, Queryable } from '../db/index.ts';
import { ADVISORY_LOCK } from '../db/index.ts';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { buildCrl, type RevokedEntry } from './crl-builder.ts';

export interface CrlPolicy {
  /** nextUpdate − thisUpdate. */
  readonly validitySeconds: number;
  /** Reissue when less than this remains before nextUpdate. */
  readonly reissueBeforeSeconds: number;
}

export const DEFAULT_CRL_POLICY: CrlPolicy = { validitySeconds: 24 * 3600, reissueBeforeSeconds: 12 * 3600 };

export interface PublishedCrl {
  readonly der: Uint8Array;
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/**
 * Before issuing CAs could be rotated, the one CRL was stored under this key.
 * Every issuer numbers its CRLs above it, so no relying party ever sees a CRL
 * number go down across the upgrade (RFC 5280 §5.2.3: monotonically increasing).
 */
const LEGACY_CRL_KEY = 'issuing';

/**
 * One issuing CA's CRL (RFC 5280 §5): reissued on every revocation and before
 * nextUpdate, numbered monotonically, stored in the database so every replica
 * serves the same list. Issuance holds an advisory lock so two replicas never
 * publish the same CRL number.
 */
export class CrlPublisher {
  readonly #db: Db;
  readonly #issuer: CertificateAuthority;
  readonly #key: string;
  readonly #revoked: (now: Date, tx: Queryable) => Promise<RevokedEntry[]>;
  readonly #policy: CrlPolicy;
  readonly #now: () => Date;
  #cached: PublishedCrl | undefined;

  constructor(options: {
    db: Db;
    issuer: CertificateAuthority;
    /** The issuer's row in `crl_state`: one per issuing CA, e.g. `issuing-<serial>`. */
    key?: string;
    /** Read inside the publishing transaction: on PGlite, a query outside it would wait for it forever. */
    revoked: (now: Date, tx: Queryable) => Promise<RevokedEntry[]>;
    policy?: CrlPolicy;
    now: () => Date;
  }) {
    this.#db = options.db;
    this.#issuer = options.issuer;
    this.#key = options.key ?? LEGACY_CRL_KEY;
    this.#revoked = options.revoked;
    this.#policy = options.policy ?? DEFAULT_CRL_POLICY;
    this.#now = options.now;
  }

  /** The current CRL, reissued first if it is missing or close to its nextUpdate. */
  async current(): Promise<PublishedCrl> {
    const now = this.#now();
    const fresh = (crl: PublishedCrl | undefined): crl is PublishedCrl =>
      crl !== undefined &&
      crl.nextUpdate.getTime() - now.getTime() > this.#policy.reissueBeforeSeconds * 1000;
    if (fresh(this.#cached)) return this.#cached;
    const stored = await this.#load();
    if (fresh(stored)) {
      this.#cached = stored;
      return stored;
    }
    return this.#publish(fresh);
  }

  /** Publishes a new CRL now (after a revocation). */
  async reissue(): Promise<PublishedCrl> {
    return this.#publish(() => false);
  }

  /**
   * Publishes under the CRL advisory lock. `stillFresh` is asked again once the
   * lock is held: when several replicas find the CRL due at the same moment,
   * the first publishes and the others serve what it published.
   */
  async #publish(stillFresh: (crl: PublishedCrl | undefined) => boolean): Promise<PublishedCrl> {
    const published = await this.#db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.crl]);
      const stored = await this.#load(tx);
      if (stored && stillFresh(stored)) return stored;
      const thisUpdate = this.#now();
      const floor = await tx.query<{ n: number | null }>(
        'SELECT max(crl_number)::int8 AS n FROM crl_state WHERE issuer = $1 OR issuer = $2',
        [this.#key, LEGACY_CRL_KEY],
      );
      const crl: PublishedCrl = {
        crlNumber: Number(floor.rows[0]?.n ?? 0) + 1,
        thisUpdate,
        nextUpdate: new Date(thisUpdate.getTime() + this.#policy.validitySeconds * 1000),
        der: new Uint8Array(0),
      };
      const der = await buildCrl(this.#issuer, { ...crl, revoked: await this.#revoked(thisUpdate, tx) });
      await tx.query(
        `INSERT INTO crl_state (issuer, crl_number, this_update, next_update, der) VALUES ($5, $1, $2, $3, $4)
         ON CONFLICT (issuer) DO UPDATE SET crl_number = $1, this_update = $2, next_update = $3, der = $4`,
        [crl.crlNumber, crl.thisUpdate, crl.nextUpdate, Buffer.from(der), this.#key],
      );
      return { ...crl, der };
    });
    this.#cached = published;
    return published;
  }

  /** Forgets the in-process copy, so the next read sees what another replica published. */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #load(q: Queryable = this.#db): Promise<PublishedCrl | undefined> {
    const result = await q.query<{
      crl_number: number;
      this_update: Date;
      next_update: Date;
      der: Uint8Array;
    }>(
      'SELECT crl_number::int8 AS crl_number, this_update, next_update, der FROM crl_state WHERE issuer = $1',
      [this.#key],
    );
    const row = result.rows[0];
    return row
      ? {
          crlNumber: row.crl_number,
          thisUpdate: row.this_update,
          nextUpdate: row.next_update,
          der: new Uint8Array(row.der),
        }
      : undefined;
  }
}
