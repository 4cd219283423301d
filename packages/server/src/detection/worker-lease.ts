import type { Db } from '../db/index.ts';

/**
 * A named lease in `worker_leases`: work that must run on one replica at a
 * time (the detection worker's in-memory windows) goes to whoever holds it.
 * A holder renews it every round; a replica that dies loses it after
 * `seconds`, and another takes over.
 */
export class WorkerLease {
  readonly #db: Db;
  readonly #name: string;
  readonly #owner: string;
  readonly #seconds: number;

  constructor(db: Db, options: { readonly name: string; readonly owner: string; readonly seconds?: number }) {
    this.#db = db;
    this.#name = options.name;
    this.#owner = options.owner;
    this.#seconds = options.seconds ?? 30;
  }

  /** Takes or renews the lease; false while another live owner holds it. */
  async acquire(): Promise<boolean> {
    const result = await this.#db.query(
      `INSERT INTO worker_leases (name, owner, until) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
        WHERE worker_leases.owner = EXCLUDED.owner OR worker_leases.until < now()
       RETURNING name`,
      [this.#name, this.#owner, this.#seconds],
    );
    return result.rowCount > 0;
  }

  async release(): Promise<void> {
    await this.#db.query('DELETE FROM worker_leases WHERE name = $1 AND owner = $2', [
      this.#name,
      this.#owner,
    ]);
  }
}
