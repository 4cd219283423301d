import { PalisadeError } from '@palisade/core';

/**
 * Why the outbox refused an operation. Messages name the file and offset at
 * fault; they never carry record bodies (which may hold device data).
 */
export type OutboxErrorCode =
  /** Bytes on disk do not decode (bad frame, bad CRC, not a record). Recovery logs these and carries on. */
  | 'OUTBOX_CORRUPT'
  /** The outbox directory cannot be created, listed, read or written (permissions, not a directory). */
  | 'OUTBOX_UNREADABLE'
  /** Another live process (or this one) already has the outbox open. */
  | 'OUTBOX_LOCKED'
  /** The outbox was closed. */
  | 'OUTBOX_CLOSED'
  /** A write or fsync failed; what reached the disk is unknown, so the outbox must be reopened. */
  | 'OUTBOX_IO_FAILED'
  /** A record handed to `append` is malformed (kind, severity, id, createdAt, or a body JSON cannot encode). */
  | 'OUTBOX_RECORD_INVALID'
  /** A record is larger than one frame may be, or than the whole outbox may hold. */
  | 'OUTBOX_RECORD_TOO_LARGE'
  /** `Outbox.open` options are out of range. */
  | 'OUTBOX_OPTIONS_INVALID';

export class OutboxError extends PalisadeError<OutboxErrorCode> {}
