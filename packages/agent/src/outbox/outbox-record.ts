import { newUuidV7 as newRecordId } from '@palisade/core';
import { OutboxError } from './outbox-error.ts';

/** JSON as the panel receives it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Drop priority: 0 is dropped first when the outbox is full, 10 last. */
export const MIN_SEVERITY = 0;
export const MAX_SEVERITY = 10;

/** One thing the agent reports. The panel's ingest is idempotent on (device, `id`). */
export interface OutboxRecord {
  /** Stable across restarts and re-deliveries; a UUIDv7 unless the caller chose one. */
  readonly id: string;
  /** What the body is: `event`, `inventory`, `state`, … */
  readonly kind: string;
  /** Integer 0..10; the lowest is dropped first when disk use hits its bound. */
  readonly severity: number;
  /** ISO 8601 time the record was created (not sent). */
  readonly createdAt: string;
  readonly body: JsonValue;
}

/** What `append` takes: `id` and `createdAt` are filled in when absent. */
export interface NewOutboxRecord {
  readonly id?: string;
  readonly kind: string;
  readonly severity: number;
  readonly createdAt?: string;
  readonly body: JsonValue;
}

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const KIND_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function problems(record: { id: unknown; kind: unknown; severity: unknown; createdAt: unknown }): string[] {
  const found: string[] = [];
  if (typeof record.id !== 'string' || !ID_PATTERN.test(record.id)) {
    found.push('id: 1-128 characters of [A-Za-z0-9._:-]');
  }
  if (typeof record.kind !== 'string' || !KIND_PATTERN.test(record.kind)) {
    found.push('kind: 1-64 characters of [A-Za-z0-9._-]');
  }
  if (
    typeof record.severity !== 'number' ||
    !Number.isInteger(record.severity) ||
    record.severity < MIN_SEVERITY ||
    record.severity > MAX_SEVERITY
  ) {
    found.push(`severity: an integer ${MIN_SEVERITY}..${MAX_SEVERITY}`);
  }
  if (
    typeof record.createdAt !== 'string' ||
    !ISO_PATTERN.test(record.createdAt) ||
    Number.isNaN(Date.parse(record.createdAt))
  ) {
    found.push('createdAt: an ISO 8601 date-time');
  }
  return found;
}

/**
 * Fills in `id` and `createdAt` and encodes the record as it is stored.
 * Throws OUTBOX_RECORD_INVALID naming every failing field.
 */
export function encodeNewRecord(input: NewOutboxRecord): { record: OutboxRecord; payload: Buffer } {
  const record: OutboxRecord = {
    id: input.id ?? newRecordId(),
    kind: input.kind,
    severity: input.severity,
    createdAt: input.createdAt ?? new Date().toISOString(),
    body: input.body,
  };
  const found = problems(record);
  // JSON.stringify silently drops a top-level undefined/function body: that would be silent loss.
  const bodyType = typeof input.body;
  if (bodyType === 'undefined' || bodyType === 'function' || bodyType === 'symbol') {
    found.push('body: must be a JSON value');
  }
  let json: string | undefined;
  if (found.length === 0) {
    try {
      json = JSON.stringify(record);
    } catch (cause) {
      found.push(`body: cannot be encoded as JSON (${(cause as Error).message})`);
    }
  }
  if (found.length > 0 || json === undefined) {
    throw new OutboxError('OUTBOX_RECORD_INVALID', `outbox record rejected: ${found.join('; ')}`, {
      details: { problems: found },
    });
  }
  return { record, payload: Buffer.from(json, 'utf8') };
}

/**
 * Parses a stored payload (whose CRC already matched) into a record.
 * Throws OUTBOX_CORRUPT when it is not one: a CRC match on garbage is rare but possible.
 */
export function decodeStoredRecord(payload: Buffer, where: string): OutboxRecord {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new OutboxError('OUTBOX_CORRUPT', `${where}: frame is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('body' in value)) {
    throw new OutboxError('OUTBOX_CORRUPT', `${where}: frame is not an outbox record`);
  }
  const candidate = value as Record<string, unknown>;
  const found = problems({
    id: candidate.id,
    kind: candidate.kind,
    severity: candidate.severity,
    createdAt: candidate.createdAt,
  });
  if (found.length > 0) {
    throw new OutboxError('OUTBOX_CORRUPT', `${where}: stored record is malformed (${found.join('; ')})`);
  }
  return {
    id: candidate.id as string,
    kind: candidate.kind as string,
    severity: candidate.severity as number,
    createdAt: candidate.createdAt as string,
    body: candidate.body as JsonValue,
  };
}
