import { eventTypeInfo, type SecurityEvent } from '@palisade/core';
import type { ExportEvent } from './export-destination.ts';

const FIELD_KEY = /^[a-z][A-Za-z0-9]{0,31}$/;
const MAX_FIELDS = 32;
const MAX_FIELD_CHARS = 1024;

/**
 * The SIEM view of a stored event: catalogue title and controls where the
 * type is known, the body's top-level scalars as typed fields (nested values
 * as JSON text), the message from the body's `message` when it has one.
 */
export function securityEventOf(event: ExportEvent): SecurityEvent {
  const info = eventTypeInfo(event.type);
  const body = (typeof event.body === 'object' && event.body !== null ? event.body : {}) as Record<
    string,
    unknown
  >;
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(body)) {
    if (Object.keys(fields).length >= MAX_FIELDS) break;
    if (!FIELD_KEY.test(key) || key === 'message') continue;
    if (typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
    else if (typeof value === 'string') fields[key] = value.slice(0, MAX_FIELD_CHARS);
    else if (value !== null && value !== undefined)
      fields[key] = JSON.stringify(value).slice(0, MAX_FIELD_CHARS);
  }
  return {
    id: event.id,
    source: event.source,
    deviceId: event.deviceId,
    type: event.type,
    severity: event.severity,
    controls: info?.controls ?? [],
    message: typeof body.message === 'string' ? body.message.slice(0, 2048) : (info?.title ?? event.type),
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    fields,
  };
}
