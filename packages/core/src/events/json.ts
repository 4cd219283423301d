import { canonicalJson } from '../encoding/canonical-json.ts';
import type { EventFieldValue, SecurityEvent } from './security-event.ts';
import { FIELD_KEY_PATTERN } from './security-event.ts';

/**
 * The canonical JSON export of an event (webhooks, the RFC 5424 `json`
 * payload, data historians): RFC 8785 canonical JSON of exactly the
 * SecurityEvent members, so equal events give equal bytes (hashable,
 * diffable) and `parseSecurityEvent(JSON.parse(text), { acceptReceivedAt: true, … })`
 * reads it back unchanged. One line: JSON escapes CR and LF.
 */
export function formatEventJson(event: SecurityEvent): string {
  // Copy member by member: an unparsed event's extra members, hostile field
  // keys or non-finite numbers must not leak into or break the export.
  const fields: Record<string, EventFieldValue> = {};
  for (const [key, value] of Object.entries(event.fields)) {
    if (!FIELD_KEY_PATTERN.test(key)) continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    fields[key] = value;
  }
  return canonicalJson({
    id: event.id,
    source: event.source,
    deviceId: event.deviceId,
    type: event.type,
    severity: Number.isFinite(event.severity) ? event.severity : null,
    controls: event.controls,
    message: event.message,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    fields,
  });
}
