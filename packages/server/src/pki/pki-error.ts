import { PalisadeError } from '@palisade/core';

export type PkiErrorCode = 'CA_INCOMPLETE' | 'CA_KEY_UNREADABLE' | 'CA_ALREADY_INITIALIZED';

export class PkiError extends PalisadeError<PkiErrorCode> {}
