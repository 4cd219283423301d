/**
 * The one storage interface of the panel. Two implementations speak the same
 * PostgreSQL dialect: embedded PGlite (default) and a PostgreSQL server (pg).
 * Contexts receive a `Db` and own their tables; nothing else touches them.
 */
export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

export interface Queryable {
  /** One statement with `$1…` parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL LISTEN: `onPayload` gets every NOTIFY on `channel`, from this
   * process or any other replica. Resolves once listening, with the function
   * that stops it. Delivery is best effort: a notification sent while the
   * listening connection is being re-established is lost.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** NOTIFY `channel` (payload at most 8000 bytes); sent when the surrounding transaction, if any, commits. */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Advisory-lock keys, one per kind of work that must run once across replicas.
 * Fixed numbers so that every replica and every version agree.
 */
export const ADVISORY_LOCK = {
  migrations: 7_301_001,
  bootstrap: 7_301_002,
  auditChain: 7_301_003,
  crl: 7_301_004,
  eventPartitions: 7_301_005,
  policyKeys: 7_301_006,
  policyRollouts: 7_301_007,
  compliancePass: 7_301_008,
} as const;
