import { PalisadeError } from '@palisade/core';

export type EventsErrorCode =
  /** A search cursor that this panel did not issue (or that was edited). */
  | 'EVENT_CURSOR_INVALID'
  /** The replica serves as many live streams as it allows; Retry-After says when to try again. */
  | 'EVENT_STREAM_BUSY'
  /** No detection rule with that ID (or it was deleted). */
  | 'RULE_NOT_FOUND'
  /** Creating a rule whose ID is taken; update it with PUT instead. */
  | 'RULE_EXISTS'
  /** A rule names something that does not exist (e.g. a webhook action's exporter). */
  | 'RULE_REFERENCE_INVALID'
  | 'ALERT_NOT_FOUND'
  /** The alert's lifecycle does not allow this (e.g. acknowledging a resolved alert). */
  | 'ALERT_STATE_CONFLICT';

/** Refusals of the events context: search, detection rules, alerts. */
export class EventsError extends PalisadeError<EventsErrorCode> {}
