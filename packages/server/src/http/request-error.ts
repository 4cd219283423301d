import { PalisadeError } from '@palisade/core';

export type RequestErrorCode =
  | 'MALFORMED_JSON'
  | 'VALIDATION_FAILED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BODY_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'CLIENT_CERTIFICATE_REQUIRED'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_READY'
  | 'DASHBOARD_NOT_BUILT'
  | 'INTERNAL';

/** Problems with the request itself, found before any domain logic runs. */
export class RequestError extends PalisadeError<RequestErrorCode> {}
