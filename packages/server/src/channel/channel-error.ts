import { PalisadeError } from '@palisade/core';

export type ChannelErrorCode =
  /** A device asked for or wrote another device's resources. */
  'DEVICE_FORBIDDEN';

/** Refusals of the device API (the channel between agents and the panel). */
export class ChannelError extends PalisadeError<ChannelErrorCode> {}
