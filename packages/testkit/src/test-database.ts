import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Db,
  loadMigrations,
  migrate,
  migrationsFingerprint,
  openPgliteDb,
  openPostgresDb,
} from '@palisade/server';
import pg from 'pg';
import { postgresUrl, STRICT } from './system-tools.ts';

/** A migrated, empty database of its own for one test; disposed with `await using`. */
export interface TestDatabase extends AsyncDisposable {
  readonly db: Db;
  readonly url: string | undefined;
}

const TEMPLATE_DIR = join(tmpdir(), 'palisade-test-templates');

/**
 * Opens a fresh migrated database. On PGlite, initdb in WASM takes seconds,
 * so one migrated data directory is dumped once per migration set and loaded
 * in memory for every test. On PostgreSQL (DATABASE_URL), a template database
 * is migrated once and each test gets `CREATE DATABASE … TEMPLATE`.
 */
/**
 * The PostgreSQL server for tests that need several processes on one
 * database (panel replicas): DATABASE_URL, or PALISADE_TEST_POSTGRES_URL,
 * which .ci/run sets for the PGlite run as well.
 */
export function replicaPostgresUrl(): string | undefined {
  const url = postgresUrl() ?? process.env.PALISADE_TEST_POSTGRES_URL;
  return url === undefined || url === '' ? undefined : url;
}

/** For `describe(…, { skip: skipUnlessReplicaPostgres() })`: strict mode fails instead of skipping. */
export function skipUnlessReplicaPostgres(): string | false {
  if (replicaPostgresUrl() !== undefined) return false;
  return STRICT
    ? false
    : 'replica tests need a PostgreSQL server: set DATABASE_URL or PALISADE_TEST_POSTGRES_URL (or run .ci/run)';
}

/** A fresh, migrated database on the replica-test PostgreSQL server. */
export async function openReplicaTestDatabase(): Promise<TestDatabase> {
  const url = replicaPostgresUrl();
  if (url === undefined)
    throw new Error('no PostgreSQL server for replica tests (DATABASE_URL or PALISADE_TEST_POSTGRES_URL)');
  return openPostgresTestDatabase(url);
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const url = postgresUrl();
  return url === undefined ? openPgliteTestDatabase() : openPostgresTestDatabase(url);
}

async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      // A lock older than two minutes belongs to a test process that died while building.
      if (age > 120_000) await unlink(path).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

async function pgliteTemplate(): Promise<Buffer> {
  const fingerprint = migrationsFingerprint(await loadMigrations());
  const file = join(TEMPLATE_DIR, `pglite-${fingerprint}.tar.gz`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return cached;
  await mkdir(TEMPLATE_DIR, { recursive: true });
  return withFileLock(`${file}.lock`, async () => {
    const again = await readFile(file).catch(() => undefined);
    if (again) return again;
    const db = await openPgliteDb();
    await migrate(db);
    const dump = Buffer.from(await (await db.dumpDataDir()).arrayBuffer());
    await db.close();
    const temporary = `${file}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w');
    await handle.writeFile(dump);
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
    return dump;
  });
}

async function openPgliteTestDatabase(): Promise<TestDatabase> {
  const template = await pgliteTemplate();
  const db = await openPgliteDb({ loadDataDir: new Blob([new Uint8Array(template)]) });
  let closed = false;
  const close = db.close.bind(db);
  const tracked: Db = {
    ...db,
    close: async () => {
      if (!closed) {
        closed = true;
        await close();
      }
    },
  };
  return { db: tracked, url: undefined, [Symbol.asyncDispose]: () => tracked.close() };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function openPostgresTestDatabase(url: string): Promise<TestDatabase> {
  const fingerprint = migrationsFingerprint(await loadMigrations());
  const template = `palisade_tpl_${fingerprint}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // One test process builds the template; the advisory lock makes the others wait for it.
    await admin.query('SELECT pg_advisory_lock(7301999)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${template}`);
      const templateDb = await openPostgresDb(withDatabase(url, template), { max: 1 });
      await migrate(templateDb);
      await templateDb.close();
    }
    await admin.query('SELECT pg_advisory_unlock(7301999)');
    const name = `palisade_t_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    const testUrl = withDatabase(url, name);
    const db = await openPostgresDb(testUrl);
    let closed = false;
    const tracked: Db = {
      ...db,
      close: async () => {
        if (closed) return;
        closed = true;
        await db.close();
        const dropper = new pg.Client({ connectionString: url });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
    return { db: tracked, url: testUrl, [Symbol.asyncDispose]: () => tracked.close() };
  } finally {
    await admin.end();
  }
}

/** Removes cached PGlite templates (after a migration changed during development). */
export async function clearTemplates(): Promise<void> {
  await rm(TEMPLATE_DIR, { recursive: true, force: true });
}
