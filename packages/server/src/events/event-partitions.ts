import { ADVISORY_LOCK, type Db, type Queryable } from '../db/index.ts';

/** How long events are kept, by severity band (days). */
export interface EventRetention {
  /** Severity 0–3: debug and informational. */
  readonly lowDays: number;
  /** Severity 4–6. */
  readonly mediumDays: number;
  /** Severity 7–10: what an investigation needs months later. */
  readonly highDays: number;
}

export const DEFAULT_EVENT_RETENTION: EventRetention = { lowDays: 30, mediumDays: 90, highDays: 365 };

const DAY_MS = 86_400_000;
/** Daily partitions kept ready ahead of today: sources may be ahead of the panel's clock by up to a day. */
const DAYS_AHEAD = 2;
const PARTITION_NAME = /^security_events_(\d{8})$/;

export interface MaintenanceResult {
  readonly created: readonly string[];
  readonly dropped: readonly string[];
  readonly deleted: number;
}

/**
 * Keeps `security_events` partitioned by UTC day: creates tomorrow's
 * partitions before they are needed, drops days past the longest retention
 * whole, and deletes the lower severities earlier within the days it keeps.
 * Runs on one replica at a time (advisory lock); the others skip the round.
 */
export class EventPartitions {
  readonly #db: Db;
  readonly #retention: EventRetention;
  readonly #now: () => Date;

  constructor(db: Db, options: { readonly retention?: EventRetention; readonly now: () => Date }) {
    this.#db = db;
    this.#retention = options.retention ?? DEFAULT_EVENT_RETENTION;
    this.#now = options.now;
  }

  /** One maintenance round; undefined when another replica is running one. */
  async maintain(): Promise<MaintenanceResult | undefined> {
    return this.#db.transaction(async (tx) => {
      const locked = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        ADVISORY_LOCK.eventPartitions,
      ]);
      if (!locked.rows[0]?.locked) return undefined;
      const today = startOfUtcDay(this.#now());
      const existing = await this.#partitions(tx);
      const created: string[] = [];
      for (let day = -1; day <= DAYS_AHEAD; day += 1) {
        const start = new Date(today.getTime() + day * DAY_MS);
        const name = partitionName(start);
        if (existing.has(name)) continue;
        await this.#createPartition(tx, name, start);
        created.push(name);
      }
      const longest = Math.max(this.#retention.lowDays, this.#retention.mediumDays, this.#retention.highDays);
      const dropBefore = new Date(today.getTime() - longest * DAY_MS);
      const dropped: string[] = [];
      for (const [name, start] of existing) {
        // A whole day older than every band's retention goes at once, without row-by-row deletes.
        if (start.getTime() + DAY_MS <= dropBefore.getTime()) {
          await tx.exec(`DROP TABLE ${name}`);
          dropped.push(name);
        }
      }
      let deleted = 0;
      for (const band of this.#bands()) {
        const cutoff = new Date(this.#now().getTime() - band.days * DAY_MS);
        const result = await tx.query(
          'DELETE FROM security_events WHERE occurred_at < $1 AND severity BETWEEN $2 AND $3',
          [cutoff, band.min, band.max],
        );
        deleted += result.rowCount;
      }
      return { created, dropped, deleted };
    });
  }

  #bands(): { min: number; max: number; days: number }[] {
    return [
      { min: 0, max: 3, days: this.#retention.lowDays },
      { min: 4, max: 6, days: this.#retention.mediumDays },
      { min: 7, max: 10, days: this.#retention.highDays },
    ];
  }

  async #partitions(tx: Queryable): Promise<Map<string, Date>> {
    const result = await tx.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'security_events'`,
    );
    const partitions = new Map<string, Date>();
    for (const { name } of result.rows) {
      const day = PARTITION_NAME.exec(name)?.[1];
      if (day)
        partitions.set(name, new Date(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T00:00:00Z`));
    }
    return partitions;
  }

  // Attaching a partition fails while the default partition holds rows of its
  // range (an event that arrived before its day's partition existed), so those
  // rows move into the new table first; it is attached in the same transaction.
  async #createPartition(tx: Queryable, name: string, start: Date): Promise<void> {
    const end = new Date(start.getTime() + DAY_MS);
    await tx.exec(`CREATE TABLE ${name} (LIKE security_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await tx.query(
      `WITH moved AS (DELETE FROM security_events_default WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
       INSERT INTO ${name} SELECT * FROM moved`,
      [start, end],
    );
    await tx.exec(
      `ALTER TABLE security_events ATTACH PARTITION ${name}
         FOR VALUES FROM ('${start.toISOString()}') TO ('${end.toISOString()}')`,
    );
  }
}

function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function partitionName(start: Date): string {
  return `security_events_${start.toISOString().slice(0, 10).replaceAll('-', '')}`;
}
