import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { ADVISORY_LOCK, type Db } from './db.ts';
import { StorageError } from './storage-error.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1] || !match[2])
      throw new StorageError('MIGRATION_INVALID', `migration file name ${file} is not NNNN_name.sql`);
    const sql = await readFile(new URL(file, dir), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new StorageError('MIGRATION_INVALID', `two migrations share version ${version}`);
    }
    migrations.push({
      version,
      name: match[2],
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return migrations;
}

/** A fingerprint of the whole migration set, used to key cached test templates. */
export function migrationsFingerprint(migrations: readonly Migration[]): string {
  return createHash('sha256')
    .update(migrations.map((m) => `${m.version}:${m.checksum}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Applies each pending migration once, in its own transaction, under an
 * advisory lock so that replicas starting together never run one twice.
 * An applied migration whose file has since changed is refused: the schema
 * would no longer be what the code believes it is.
 */
export async function migrate(db: Db, migrations?: readonly Migration[]): Promise<{ applied: number[] }> {
  const all = migrations ?? (await loadMigrations());
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: number[] = [];
  for (const migration of all) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.migrations]);
      const existing = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migrations WHERE version = $1',
        [migration.version],
      );
      const row = existing.rows[0];
      if (row) {
        if (row.checksum !== migration.checksum) {
          throw new StorageError(
            'MIGRATION_CHECKSUM_MISMATCH',
            `migration ${migration.version}_${migration.name} was changed after it was applied`,
          );
        }
        return false;
      }
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return { applied };
}
