import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  AuditLog,
  acquireDataDirLock,
  type Db,
  migrate,
  OperatorDirectory,
  openPgliteDb,
  openPostgresDb,
} from '@palisade/server';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';

export interface OfflineResetOptions {
  readonly dataDir: string;
  readonly username: string;
  /** PostgreSQL URL when the panel does not use the embedded database. */
  readonly databaseUrl: string | undefined;
}

async function openDatabase(dataDir: string, databaseUrl: string | undefined): Promise<Db> {
  if (databaseUrl !== undefined && databaseUrl !== '') {
    try {
      return await openPostgresDb(databaseUrl, { max: 1 });
    } catch (error) {
      // The URL may carry a password: name the failure, never the URL.
      throw new CliError(
        'DATABASE_UNREACHABLE',
        `cannot open the PostgreSQL database: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  const pgdata = join(dataDir, 'pgdata');
  // PGlite would happily create an empty database here and report "no such operator".
  if (!(await stat(join(pgdata, 'PG_VERSION')).catch(() => undefined))) {
    throw new CliError(
      'DATA_DIR_INVALID',
      `no embedded database in ${pgdata}; if the panel uses PostgreSQL, pass --database-url or set DATABASE_URL`,
    );
  }
  return openPgliteDb({ dataDir: pgdata });
}

/**
 * Offline recovery (e.g. the only admin forgot the password): opens the
 * panel's database directly, with the panel stopped. The data-directory lock
 * is the same one the panel takes, so this refuses with DATA_DIR_LOCKED while
 * a panel runs; two processes on one embedded database would corrupt it. The
 * reset is audited as `system` with source `cli`.
 */
export async function offlineResetPassword(options: OfflineResetOptions, io: CliIo): Promise<string> {
  const dataDir = resolve(options.dataDir);
  const info = await stat(dataDir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new CliError('DATA_DIR_INVALID', `data directory ${dataDir} does not exist`);
  const lock = await acquireDataDirLock(dataDir, 'palisade operator reset-password');
  try {
    const db = await openDatabase(dataDir, options.databaseUrl);
    try {
      const { applied } = await migrate(db);
      if (applied.length > 0) io.err(`palisade: applied database migrations ${applied.join(', ')}\n`);
      return await new OperatorDirectory(db, new AuditLog(db)).resetPassword(
        'system',
        options.username,
        'cli',
      );
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
}
