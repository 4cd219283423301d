export type { Db, Queryable, QueryResult } from './db.ts';
export { ADVISORY_LOCK } from './db.ts';
export { loadMigrations, migrate, migrationsFingerprint } from './migrate.ts';
export type { PgliteDb } from './pglite-db.ts';
export { fromPglite, openPgliteDb } from './pglite-db.ts';
export { openPostgresDb } from './postgres-db.ts';
export type { StorageErrorCode } from './storage-error.ts';
export { StorageError } from './storage-error.ts';
