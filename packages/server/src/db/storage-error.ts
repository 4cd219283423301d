import { PalisadeError } from '@palisade/core';

export type StorageErrorCode =
  | 'MIGRATION_INVALID'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'DATA_DIR_LOCKED'
  | 'DATABASE_UNAVAILABLE';

export class StorageError extends PalisadeError<StorageErrorCode> {}
