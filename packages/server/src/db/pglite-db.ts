import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.ts';

type PGliteQueryable = Pick<PGlite, 'query' | 'exec'>;

function wrap(target: PGliteQueryable): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await target.query<Row>(sql, params as unknown[]);
      // PGlite reports affectedRows 0 for a SELECT; pg's rowCount is the rows returned. Match pg.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

export interface PgliteDb extends Db {
  /** A tarball of the data directory, loadable with `loadDataDir` (test templates, backups). */
  dumpDataDir(): Promise<Blob>;
}

/** Embedded PostgreSQL (WASM). `dataDir` undefined means in memory. */
export async function openPgliteDb(
  options: { dataDir?: string; loadDataDir?: Blob } = {},
): Promise<PgliteDb> {
  const pglite = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
  });
  return fromPglite(pglite);
}

export function fromPglite(pglite: PGlite): PgliteDb {
  const base = wrap(pglite);
  return {
    kind: 'pglite',
    dumpDataDir: async () => (await pglite.dumpDataDir('gzip')) as Blob,
    query: base.query,
    exec: base.exec,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    listen: async (channel, onPayload) => pglite.listen(channel, onPayload),
    notify: async (channel, payload) => {
      await pglite.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    close: () => pglite.close(),
  };
}
