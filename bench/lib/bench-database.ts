import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase extends AsyncDisposable {
  /** `pglite` (the panel's embedded database) or `postgres`. */
  readonly kind: 'pglite' | 'postgres';
  /** For `--database-url`; undefined on PGlite. */
  readonly url: string | undefined;
  /** The server's version string (`SELECT version()`), or `PGlite` . */
  readonly description: string;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * The database a benchmark's panel runs on. Without `BENCH_DATABASE_URL`:
 * the panel's embedded PGlite in its data directory. With it: a fresh,
 * empty database `palisade_bench_<random>` created on that PostgreSQL
 * server (the URL's user needs CREATEDB), so that every run starts from the
 * same empty state and never touches existing data, and dropped on dispose
 * (kept with BENCH_KEEP_TMP=1).
 */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const url = process.env.BENCH_DATABASE_URL;
  if (url === undefined || url === '') {
    return { kind: 'pglite', url: undefined, description: 'PGlite', async [Symbol.asyncDispose]() {} };
  }
  const name = `palisade_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let description: string;
  try {
    description = String((await admin.query<{ version: string }>('SELECT version()')).rows[0]?.version);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    kind: 'postgres',
    url: withDatabase(url, name),
    description,
    async [Symbol.asyncDispose]() {
      if (process.env.BENCH_KEEP_TMP === '1') {
        process.stderr.write(`kept database ${name}\n`);
        return;
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
