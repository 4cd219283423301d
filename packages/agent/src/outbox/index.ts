export type { OutboxStats } from './outbox.ts';
export { Outbox } from './outbox.ts';
export type { OutboxErrorCode } from './outbox-error.ts';
export { OutboxError } from './outbox-error.ts';
export type { OutboxLogger } from './outbox-logger.ts';
export type { OutboxDrop, OutboxOptions } from './outbox-options.ts';
export type { JsonValue, NewOutboxRecord, OutboxRecord } from './outbox-record.ts';
export { MAX_SEVERITY, MIN_SEVERITY } from './outbox-record.ts';
