import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { openTestDatabase } from '@palisade/testkit';
import { loadMigrations, migrate } from './migrate.ts';
import { openPostgresDb } from './postgres-db.ts';
import { StorageError } from './storage-error.ts';

async function migrationDir(files: Record<string, string>): Promise<URL> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return pathToFileURL(`${dir}/`);
}

describe('migrate', () => {
  it('applies each migration once, in order, and records it', async () => {
    await using database = await openTestDatabase();
    const dir = await migrationDir({
      '0100_widgets.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);',
      '0101_widget_names.sql':
        'ALTER TABLE widgets ADD COLUMN name text; INSERT INTO widgets VALUES (1, $$one$$);',
    });
    const migrations = await loadMigrations(dir);
    assert.deepEqual(await migrate(database.db, migrations), { applied: [100, 101] });
    assert.deepEqual(await migrate(database.db, migrations), { applied: [] });
    const rows = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM widgets');
    assert.equal(rows.rows[0]?.n, 1);
  });

  it('rolls back a failing migration completely and does not record it', async () => {
    await using database = await openTestDatabase();
    const dir = await migrationDir({
      '0100_half.sql': 'CREATE TABLE half (id int); SELECT no_such_function();',
    });
    await assert.rejects(migrate(database.db, await loadMigrations(dir)), /no_such_function/);
    const table = await database.db.query(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'half'",
    );
    assert.equal(table.rows.length, 0);
    const recorded = await database.db.query('SELECT 1 FROM schema_migrations WHERE version = 100');
    assert.equal(recorded.rows.length, 0);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    await using database = await openTestDatabase();
    await migrate(
      database.db,
      await loadMigrations(await migrationDir({ '0100_a.sql': 'CREATE TABLE a (id int);' })),
    );
    const edited = await loadMigrations(await migrationDir({ '0100_a.sql': 'CREATE TABLE a (id bigint);' }));
    await assert.rejects(
      migrate(database.db, edited),
      (error: unknown) => error instanceof StorageError && error.code === 'MIGRATION_CHECKSUM_MISMATCH',
    );
  });

  it('rejects badly named or duplicate migration files', async () => {
    await assert.rejects(
      loadMigrations(await migrationDir({ 'init.sql': 'SELECT 1;' })),
      /is not NNNN_name\.sql/,
    );
    await assert.rejects(
      loadMigrations(await migrationDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' })),
      /share version 1/,
    );
  });

  it('runs each migration exactly once when replicas migrate at the same time', async () => {
    await using database = await openTestDatabase();
    const dir = await migrationDir({
      '0100_counter.sql': 'CREATE TABLE runs (n int); INSERT INTO runs VALUES (1);',
      '0101_again.sql': 'INSERT INTO runs VALUES (2);',
    });
    const migrations = await loadMigrations(dir);
    // On PostgreSQL each "replica" is its own connection pool; PGlite has one connection, so
    // there the race is between interleaved transactions of one instance.
    const replicas = database.url
      ? await Promise.all([openPostgresDb(database.url), openPostgresDb(database.url)])
      : [database.db, database.db];
    try {
      const results = await Promise.all(replicas.map((db) => migrate(db, migrations)));
      assert.deepEqual(results.flatMap((r) => r.applied).sort(), [100, 101]);
      const runs = await database.db.query<{ n: number }>('SELECT n FROM runs ORDER BY n');
      assert.deepEqual(
        runs.rows.map((r) => r.n),
        [1, 2],
      );
    } finally {
      if (database.url) await Promise.all(replicas.map((db) => db.close()));
    }
  });
});
