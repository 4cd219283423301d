import { EVENT_LIMITS, eventTypeInfo, FIELD_KEY_PATTERN, type SecurityEvent } from '@palisade/core';
import type { DeviceReport } from './report-ingest.ts';

/** What the panel makes of an event body: the message and the typed fields. */
export interface EventBody {
  readonly message: string;
  readonly fields: Readonly<Record<string, string | number | boolean>>;
}

/**
 * An outbox body becomes message and fields: the body's `message` (else the
 * catalogue title), its top-level scalars as typed fields and nested values as
 * JSON text, within the event model's limits (longer text is cut, not refused:
 * a security event is worth more truncated than lost).
 */
export function eventBodyOf(type: string, body: unknown): EventBody {
  const record = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  const fields: Record<string, string | number | boolean> = {};
  let count = 0;
  for (const [key, value] of Object.entries(record)) {
    if (count >= EVENT_LIMITS.fieldCount) break;
    if (!FIELD_KEY_PATTERN.test(key) || key === 'message') continue;
    if (typeof value === 'number' && Number.isFinite(value)) fields[key] = value;
    else if (typeof value === 'boolean') fields[key] = value;
    else if (typeof value === 'string') fields[key] = value.slice(0, EVENT_LIMITS.fieldStringLength);
    else if (value !== null && value !== undefined && typeof value === 'object')
      fields[key] = JSON.stringify(value).slice(0, EVENT_LIMITS.fieldStringLength);
    else continue;
    count += 1;
  }
  const message =
    typeof record.message === 'string' && record.message.length > 0
      ? record.message.slice(0, EVENT_LIMITS.messageLength)
      : (eventTypeInfo(type)?.title ?? type);
  return { message, fields };
}

/** Earliest source time taken as is; anything before is a device clock that was never set. */
const EARLIEST_SOURCE_TIME = Date.parse('2000-01-01T00:00:00Z');

/**
 * A device's event report as a SecurityEvent. A source timestamp absurdly in
 * the future (beyond EVENT_LIMITS.futureSkewMs) or before 2000 is not trusted
 * for ordering or retention: the event is kept, stamped with the panel's time,
 * and carries the device's claim in `sourceTime` with `clockSkewed: true`,
 * because refusing it would make an agent with a broken clock retry the same
 * batch forever and hide its events.
 */
export function eventOfReport(deviceId: string, report: DeviceReport, receivedAt: Date): SecurityEvent {
  const { message, fields } = eventBodyOf(report.kind, report.body);
  const claimed = Date.parse(report.createdAt);
  const trusted =
    claimed >= EARLIEST_SOURCE_TIME && claimed <= receivedAt.getTime() + EVENT_LIMITS.futureSkewMs;
  return {
    id: report.id,
    source: 'device',
    deviceId,
    type: report.kind,
    severity: report.severity,
    controls: eventTypeInfo(report.kind)?.controls ?? [],
    message,
    occurredAt: trusted ? new Date(claimed).toISOString() : receivedAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
    fields: trusted ? fields : { ...fields, sourceTime: report.createdAt.slice(0, 64), clockSkewed: true },
  };
}
