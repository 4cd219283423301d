import { PalisadeError } from '@palisade/core';

export type EnrollmentErrorCode =
  | 'EST_BASE64_INVALID'
  | 'CSR_MALFORMED'
  | 'CSR_SIGNATURE_INVALID'
  | 'CSR_KEY_WEAK'
  | 'CSR_SIGNATURE_HASH_WEAK'
  | 'IDENTITY_MISMATCH'
  | 'ENROLLMENT_UNAUTHENTICATED'
  | 'ENROLLMENT_LOCKED'
  | 'IDEVID_NOT_CLAIMED'
  | 'CHANNEL_BINDING_REQUIRED'
  | 'CHANNEL_BINDING_MISMATCH'
  | 'DEVICE_NOT_ENROLLABLE'
  | 'ENROLLMENT_REJECTED'
  | 'DEVICE_CERTIFICATE_REQUIRED'
  | 'DEVICE_CERTIFICATE_REFUSED'
  | 'ENROLLMENT_BUSY';

/** Refusals of EST enrollment and of device authentication at the device listener. */
export class EnrollmentError extends PalisadeError<EnrollmentErrorCode> {}
