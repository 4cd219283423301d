import type { PolicyErrorCode, RuleErrorCode } from '@palisade/core';
import type { AttestationErrorCode } from '../attestation/attestation-error.ts';
import type { ChannelErrorCode } from '../channel/channel-error.ts';
import type { ComplianceErrorCode } from '../compliance/compliance-error.ts';
import type { DeviceErrorCode } from '../devices/device-errors.ts';
import type { EnrollmentErrorCode } from '../est/enrollment-error.ts';
import type { EventsErrorCode } from '../events/events-error.ts';
import type { AuthErrorCode, OperatorErrorCode } from '../operators/operator-errors.ts';
import type { PoliciesErrorCode } from '../policies/policies-error.ts';
import type { RequestErrorCode } from './request-error.ts';

/** Every error code that can reach an HTTP client. */
export type HttpErrorCode =
  | RequestErrorCode
  | AuthErrorCode
  | OperatorErrorCode
  | DeviceErrorCode
  | EnrollmentErrorCode
  | ChannelErrorCode
  | EventsErrorCode
  | RuleErrorCode
  | PolicyErrorCode
  | PoliciesErrorCode
  | AttestationErrorCode
  | ComplianceErrorCode;

/**
 * The one place where error codes become HTTP status codes. A code missing
 * here does not compile; docs/errors.md lists the same codes, and a test keeps
 * the two in step.
 */
export const ERROR_STATUS: Readonly<Record<HttpErrorCode, number>> = {
  MALFORMED_JSON: 400,
  VALIDATION_FAILED: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BODY_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  CLIENT_CERTIFICATE_REQUIRED: 401,
  METHOD_NOT_ALLOWED: 405,
  NOT_READY: 503,
  DASHBOARD_NOT_BUILT: 503,
  INTERNAL: 500,

  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  CREDENTIAL_EXPIRED: 401,
  LOGIN_THROTTLED: 429,
  FORBIDDEN: 403,
  CSRF_TOKEN_INVALID: 403,
  PASSWORD_CHANGE_REQUIRED: 403,

  OPERATOR_EXISTS: 409,
  OPERATOR_NOT_FOUND: 404,
  PASSWORD_POLICY: 400,
  TOKEN_NOT_FOUND: 404,
  ROLE_NOT_GRANTABLE: 403,
  LAST_ADMIN: 409,

  DEVICE_EXISTS: 409,
  DEVICE_NOT_FOUND: 404,
  DEVICE_STATE_CONFLICT: 409,
  GROUP_NOT_FOUND: 404,
  MANUFACTURER_EXISTS: 409,
  MANUFACTURER_CERTIFICATE_INVALID: 400,
  ENROLLMENT_NOT_FOUND: 404,

  DEVICE_FORBIDDEN: 403,
  ENROLLMENT_BUSY: 503,

  EST_BASE64_INVALID: 400,
  CSR_MALFORMED: 400,
  CSR_SIGNATURE_INVALID: 400,
  CSR_KEY_WEAK: 403,
  CSR_SIGNATURE_HASH_WEAK: 403,
  IDENTITY_MISMATCH: 403,
  ENROLLMENT_UNAUTHENTICATED: 401,
  ENROLLMENT_LOCKED: 429,
  IDEVID_NOT_CLAIMED: 403,
  CHANNEL_BINDING_REQUIRED: 401,
  CHANNEL_BINDING_MISMATCH: 401,
  DEVICE_NOT_ENROLLABLE: 403,
  ENROLLMENT_REJECTED: 403,
  DEVICE_CERTIFICATE_REQUIRED: 401,
  DEVICE_CERTIFICATE_REFUSED: 401,

  EVENT_CURSOR_INVALID: 400,
  EVENT_STREAM_BUSY: 503,
  RULE_NOT_FOUND: 404,
  RULE_EXISTS: 409,
  RULE_REFERENCE_INVALID: 400,
  ALERT_NOT_FOUND: 404,
  ALERT_STATE_CONFLICT: 409,
  RULE_INVALID: 400,
  RULE_TOO_COMPLEX: 400,
  SIGMA_INVALID: 400,
  SIGMA_UNSUPPORTED: 422,

  POLICY_INVALID: 400,
  POLICY_KIND_UNKNOWN: 400,
  POLICY_KIND_MISMATCH: 400,
  POLICY_LOCKS_OUT_PANEL: 422,
  POLICY_UNSIGNED: 400,
  POLICY_SIGNATURE_INVALID: 400,
  POLICY_SIGNER_UNKNOWN: 400,
  POLICY_VERSION_REPLAYED: 409,
  POLICY_KEY_INVALID: 500,
  POLICY_NOT_FOUND: 404,
  POLICY_EXISTS: 409,
  POLICY_ASSIGNMENT_INVALID: 400,
  POLICY_ASSIGNMENT_NOT_FOUND: 404,
  ROLLOUT_NOT_FOUND: 404,
  ROLLOUT_STATE_CONFLICT: 409,
  POLICY_STATUS_INVALID: 400,

  TPM_PUBLIC_INVALID: 400,
  EK_CERTIFICATE_UNTRUSTED: 403,
  AK_BINDING_NOT_FOUND: 404,
  CREDENTIAL_ACTIVATION_FAILED: 403,
  TPM_CA_INVALID: 400,
  TPM_CA_EXISTS: 409,
  ATTESTATION_SETTINGS_INVALID: 400,
  GOLDEN_EVIDENCE_MISSING: 409,

  REPORT_NOT_FOUND: 404,
  REPORT_TOO_LARGE: 422,
  REPORT_RENDERER_UNAVAILABLE: 503,
};

export function isHttpErrorCode(code: string): code is HttpErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}
