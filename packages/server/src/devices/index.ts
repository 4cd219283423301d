export type { DeviceErrorCode } from './device-errors.ts';
export { DeviceError } from './device-errors.ts';
export type {
  CertificateListener,
  IssuedCertificateRecord,
  NewDevice,
  RegistryActor,
  RevocationListener,
} from './device-registry.ts';
export { DeviceRegistry } from './device-registry.ts';
export type { DeviceRouteServices } from './device-routes.ts';
export { registerDeviceRoutes } from './device-routes.ts';
export type {
  Device,
  DeviceCertificate,
  DeviceGroup,
  DeviceState,
  Manufacturer,
  SecurityLevel,
} from './device-types.ts';
export {
  DEVICE_ID,
  DEVICE_ID_PARAMS,
  DEVICE_ID_PATTERN,
  DEVICE_STATES,
  deviceUri,
  SECURITY_LEVELS,
} from './device-types.ts';
export type { TokenRefusal } from './enrollment-tokens.ts';
export { EnrollmentTokens, MAX_ENROLLMENT_TOKEN_TTL_SECONDS } from './enrollment-tokens.ts';
export { derFingerprint, ManufacturerTrust } from './manufacturer-trust.ts';
export type { PendingEnrollment, PendingStatus } from './pending-enrollments.ts';
export { csrFingerprint, PendingEnrollments } from './pending-enrollments.ts';
