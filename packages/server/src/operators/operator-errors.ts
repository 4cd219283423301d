import { PalisadeError } from '@palisade/core';

export type AuthErrorCode =
  | 'UNAUTHENTICATED'
  | 'INVALID_CREDENTIALS'
  | 'CREDENTIAL_EXPIRED'
  | 'LOGIN_THROTTLED'
  | 'FORBIDDEN'
  | 'CSRF_TOKEN_INVALID'
  | 'PASSWORD_CHANGE_REQUIRED';

/** Who is calling and whether they may: 401, 403 and 429 answers. */
export class AuthError extends PalisadeError<AuthErrorCode> {}

export type OperatorErrorCode =
  | 'OPERATOR_EXISTS'
  | 'OPERATOR_NOT_FOUND'
  | 'PASSWORD_POLICY'
  | 'TOKEN_NOT_FOUND'
  | 'ROLE_NOT_GRANTABLE'
  | 'LAST_ADMIN';

export class OperatorError extends PalisadeError<OperatorErrorCode> {}
