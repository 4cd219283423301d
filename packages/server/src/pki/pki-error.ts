import { PalisadeError } from '@palisade/core';

export type PkiErrorCode = 'CA_INCOMPLETE' | 'CA_KEY_UNREADABLE';

export class PkiError extends PalisadeError<PkiErrorCode> {}
