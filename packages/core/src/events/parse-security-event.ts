import { canonicalJson } from '../encoding/canonical-json.ts';
import type { FieldProblem } from '../errors/palisade-error.ts';
import { isControlId } from './control-ids.ts';
import type { EventTypeInfo } from './event-catalogue.ts';
import { eventTypeInfo } from './event-catalogue.ts';
import type { EventFieldValue, EventSource, SecurityEvent } from './security-event.ts';
import {
  DEVICE_ID_PATTERN,
  EVENT_LIMITS,
  EVENT_TYPE_PATTERN,
  EventError,
  FIELD_KEY_PATTERN,
  ULID_PATTERN,
  UUID_PATTERN,
} from './security-event.ts';
import { isPlainObject, jsonPointer, parseRfc3339, textProblem } from './untrusted-input.ts';
import { utf8Length } from './utf8.ts';

export interface ParseEventOptions {
  /** The panel's clock: stamps `receivedAt` and bounds how far in the future a source timestamp may be. */
  readonly now: Date;
  /**
   * Who the transport authenticated (the device API's mTLS peer, or the panel
   * itself). Then `source` and `deviceId` may be omitted, and must match if given.
   */
  readonly origin?: { readonly source: EventSource; readonly deviceId: string | null };
  /** Re-reading a stored or exported event: `receivedAt` is required and kept. Untrusted input must not set it. */
  readonly acceptReceivedAt?: boolean;
}

// The members of SecurityEvent: any other member of an input is an error, never silently dropped.
const MEMBERS = new Set(
  'id source deviceId type severity controls message occurredAt receivedAt fields'.split(' '),
);
const MAX_PROBLEMS = 50;
type Report = (path: string, message: string) => void;

/**
 * Parses an untrusted event (a device's outbox record mapped to this shape, a
 * panel-side event, a stored or exported one) into a SecurityEvent, or throws
 * an EventError naming every failing member by JSON pointer: EVENT_INVALID,
 * or EVENT_TOO_LARGE when each member is fine but the whole is over 16 KiB.
 * Catalogued types may omit severity, controls and message (catalogue defaults).
 *
 * @example
 * parseSecurityEvent(body, { now: new Date(), origin: { source: 'device', deviceId: peer.deviceId } });
 */
export function parseSecurityEvent(input: unknown, options: ParseEventOptions): SecurityEvent {
  if (!isPlainObject(input)) {
    throw new EventError('EVENT_INVALID', 'event rejected: not a JSON object', [
      { path: '', message: 'must be a JSON object' },
    ]);
  }
  const problems: FieldProblem[] = [];
  const report: Report = (path, message) => {
    problems.push({ path, message });
  };
  for (const key of Object.keys(input))
    if (!MEMBERS.has(key)) report(jsonPointer(key), 'is not an allowed member');

  const type = parseType(input.type, report);
  const info = eventTypeInfo(type);
  const event: SecurityEvent = {
    id: parseId(input.id, report),
    ...parseOrigin(input.source, input.deviceId, options.origin, report),
    type,
    severity: parseSeverity(input.severity, info, report),
    controls: parseControls(input.controls, info, report),
    message: parseMessage(input.message, info, type, report),
    occurredAt: parseTimestamp(input.occurredAt, '/occurredAt', options.now, report),
    receivedAt: options.acceptReceivedAt
      ? parseTimestamp(input.receivedAt, '/receivedAt', options.now, report)
      : parseAbsentReceivedAt(input.receivedAt, options.now, report),
    fields: parseFields(input.fields, info, report),
  };
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS)
      shown.push({ path: '', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
    const where = shown.map((p) => p.path || '(event)').slice(0, 10);
    throw new EventError(
      'EVENT_INVALID',
      `event rejected: ${problems.length} problem(s) at ${where.join(', ')}`,
      shown,
    );
  }
  const bytes = utf8Length(canonicalJson(event));
  if (bytes > EVENT_LIMITS.maxEventBytes) {
    throw new EventError(
      'EVENT_TOO_LARGE',
      `event rejected: ${bytes} bytes as canonical JSON, limit ${EVENT_LIMITS.maxEventBytes}`,
    );
  }
  return event;
}

function parseId(value: unknown, report: Report): string {
  if (typeof value === 'string' && UUID_PATTERN.test(value)) return value.toLowerCase();
  if (typeof value === 'string' && ULID_PATTERN.test(value)) return value.toUpperCase();
  report('/id', 'must be a UUIDv7 (or v4) or a ULID, assigned at the source');
  return '';
}

function parseType(value: unknown, report: Report): string {
  if (typeof value !== 'string') {
    report('/type', 'must be a string');
  } else if (value.length > EVENT_LIMITS.typeLength) {
    report('/type', `is ${value.length} characters, limit ${EVENT_LIMITS.typeLength}`);
  } else if (!EVENT_TYPE_PATTERN.test(value)) {
    report('/type', 'must be dotted lower-case segments (a-z, 0-9, _ and -), e.g. fim.modified');
  } else {
    return value;
  }
  return '';
}

function parseOrigin(
  source: unknown,
  deviceId: unknown,
  origin: ParseEventOptions['origin'],
  report: Report,
): { source: EventSource; deviceId: string | null } {
  if (origin) {
    if (source !== undefined && source !== origin.source) report('/source', `must be ${origin.source}`);
    if (deviceId !== undefined && deviceId !== origin.deviceId) {
      report('/deviceId', 'does not match the authenticated device');
    }
    return { source: origin.source, deviceId: origin.deviceId };
  }
  if (source !== 'device' && source !== 'panel') report('/source', 'must be device or panel');
  if (deviceId === null || deviceId === undefined) {
    if (source === 'device') report('/deviceId', 'is required for a device event');
    return { source: source === 'panel' ? 'panel' : 'device', deviceId: null };
  }
  if (typeof deviceId !== 'string' || !DEVICE_ID_PATTERN.test(deviceId)) {
    report('/deviceId', 'must be 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit');
  }
  return {
    source: source === 'panel' ? 'panel' : 'device',
    deviceId: typeof deviceId === 'string' ? deviceId : null,
  };
}

function parseSeverity(value: unknown, info: EventTypeInfo | undefined, report: Report): number {
  if (value === undefined && info) return info.defaultSeverity;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 10) return value;
  report(
    '/severity',
    value === undefined ? 'is required for an uncatalogued type' : 'must be an integer 0..10',
  );
  return 0;
}

function parseControls(value: unknown, info: EventTypeInfo | undefined, report: Report): readonly string[] {
  if (value === undefined) return info?.controls ?? [];
  if (!Array.isArray(value)) {
    report('/controls', 'must be an array of control IDs');
    return [];
  }
  if (value.length > EVENT_LIMITS.controlCount) {
    report('/controls', `has ${value.length} items, limit ${EVENT_LIMITS.controlCount}`);
    return [];
  }
  value.forEach((control, index) => {
    if (!isControlId(control)) report(`/controls/${index}`, 'is not a control ID of REQUIREMENTS.md');
    else if (value.indexOf(control) !== index) report(`/controls/${index}`, 'is a duplicate');
  });
  return value.filter(isControlId);
}

function parseMessage(value: unknown, info: EventTypeInfo | undefined, type: string, report: Report): string {
  if (value === undefined) return info?.title ?? type;
  if (typeof value !== 'string') {
    report('/message', 'must be a string');
    return '';
  }
  const problem = value === '' ? 'must not be empty' : textProblem(value, EVENT_LIMITS.messageLength);
  if (problem) report('/message', problem);
  return value;
}

function parseTimestamp(value: unknown, path: string, now: Date, report: Report): string {
  const ms = typeof value === 'string' ? parseRfc3339(value) : undefined;
  if (ms === undefined) {
    report(path, 'must be an RFC 3339 date-time, e.g. 2026-03-01T12:00:00.000Z');
    return '';
  }
  if (ms - now.getTime() > EVENT_LIMITS.futureSkewMs) {
    report(
      path,
      `is more than 24 h ahead of the panel clock (${now.toISOString()}): the source clock is wrong`,
    );
  }
  return new Date(ms).toISOString();
}

function parseAbsentReceivedAt(value: unknown, now: Date, report: Report): string {
  if (value !== undefined) report('/receivedAt', 'is set by the panel at ingest, not by the source');
  return now.toISOString();
}

function parseFields(
  value: unknown,
  info: EventTypeInfo | undefined,
  report: Report,
): Record<string, EventFieldValue> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    report('/fields', 'must be an object of string, number or boolean values');
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > EVENT_LIMITS.fieldCount) {
    report('/fields', `has ${entries.length} members, limit ${EVENT_LIMITS.fieldCount}`);
    return {};
  }
  const fields: Record<string, EventFieldValue> = {};
  for (const [key, field] of entries) {
    const path = `/fields${jsonPointer(key)}`;
    if (!FIELD_KEY_PATTERN.test(key)) {
      report(path, 'is not a field name: camelCase letters and digits, at most 32');
      continue;
    }
    const spec = info && Object.hasOwn(info.fields, key) ? info.fields[key] : undefined;
    if (spec && typeof field !== spec.type) {
      report(path, `must be a ${spec.type} (catalogue)`);
    } else if (typeof field === 'string') {
      const problem = textProblem(field, EVENT_LIMITS.fieldStringLength);
      if (problem) report(path, problem);
      fields[key] = field;
    } else if (typeof field === 'number' && Number.isFinite(field)) {
      fields[key] = field === 0 ? 0 : field; // -0 has no JSON form: it would not round-trip
    } else if (typeof field === 'boolean') {
      fields[key] = field;
    } else {
      report(path, 'must be a string, a finite number or a boolean');
    }
  }
  return fields;
}
