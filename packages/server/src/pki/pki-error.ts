import { PalisadeError } from '@palisade/core';

export type PkiErrorCode =
  | 'CA_INCOMPLETE'
  | 'CA_KEY_UNREADABLE'
  | 'CA_ALREADY_INITIALIZED'
  | 'CA_NOT_INITIALIZED'
  | 'CA_ROOT_KEY_REQUIRED'
  | 'CA_ROOT_KEY_UNREADABLE'
  | 'CA_ROOT_KEY_MISMATCH';

export class PkiError extends PalisadeError<PkiErrorCode> {}
