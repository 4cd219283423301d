import { PalisadeError } from '@palisade/core';

export type DeviceErrorCode =
  | 'DEVICE_EXISTS'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_STATE_CONFLICT'
  | 'GROUP_NOT_FOUND'
  | 'MANUFACTURER_EXISTS'
  | 'MANUFACTURER_CERTIFICATE_INVALID'
  | 'ENROLLMENT_NOT_FOUND';

/** The device registry's refusals. */
export class DeviceError extends PalisadeError<DeviceErrorCode> {}
