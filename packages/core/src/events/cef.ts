import { eventTypeInfo } from './event-catalogue.ts';
import type { SecurityEvent } from './security-event.ts';
import { FIELD_KEY_PATTERN } from './security-event.ts';

/** CEF header Device Vendor (CEF Implementation Standard rev 25, "Header"). */
export const CEF_VENDOR = 'Palisade';

export interface CefOptions {
  /** Device Product: which Palisade component formatted the event. */
  readonly product: 'Panel' | 'Agent';
  /** Device Version: the Palisade release. */
  readonly version: string;
}

/**
 * One CEF:0 line for a SecurityEvent (no syslog header: see formatSyslog5424).
 *
 * `CEF:0|Palisade|<product>|<version>|<type>|<title>|<severity>|<extensions>`
 *
 * Extensions, in this order (ArcSight dictionary names, CEF rev 25):
 * `rt` receivedAt and `start` occurredAt (ms since the epoch), `externalId`
 * the event ID, `deviceExternalId` the device (omitted when none), `cat` the
 * type's first segment, `cs1Label=controls cs1=<IDs comma-separated>` (omitted
 * when none), `cs2Label=source cs2=device|panel`, `msg` the message, then one
 * `palisade<Field>` key per typed field in key order (`serial` → `palisadeSerial`).
 *
 * Total: any string in any member is escaped, so the line never contains a
 * raw CR or LF and no value can start a new key or header field.
 */
export function formatCef(event: SecurityEvent, options: CefOptions): string {
  const header = [
    'CEF:0',
    escapeCefHeader(CEF_VENDOR),
    escapeCefHeader(options.product),
    escapeCefHeader(options.version),
    escapeCefHeader(event.type),
    escapeCefHeader(eventTypeInfo(event.type)?.title ?? event.type),
    cefSeverity(event.severity),
  ];
  const extensions: [string, string][] = [];
  const rt = Date.parse(event.receivedAt);
  const start = Date.parse(event.occurredAt);
  if (!Number.isNaN(rt)) extensions.push(['rt', String(rt)]);
  if (!Number.isNaN(start)) extensions.push(['start', String(start)]);
  extensions.push(['externalId', event.id]);
  if (event.deviceId !== null) extensions.push(['deviceExternalId', event.deviceId]);
  extensions.push(['cat', event.type.split('.')[0] ?? event.type]);
  if (event.controls.length > 0) extensions.push(['cs1Label', 'controls'], ['cs1', event.controls.join(',')]);
  extensions.push(['cs2Label', 'source'], ['cs2', event.source], ['msg', event.message]);
  for (const key of Object.keys(event.fields).sort()) {
    const value = event.fields[key];
    // Keys of a parsed event always match; an unparsed one with a hostile key loses that field, not the line.
    if (value === undefined || !FIELD_KEY_PATTERN.test(key)) continue;
    extensions.push([cefFieldKey(key), String(value)]);
  }
  const extension = extensions.map(([key, value]) => `${key}=${escapeCefExtension(value)}`).join(' ');
  return `${header.join('|')}|${extension}`;
}

/** `serial` → `palisadeSerial`: CEF rev 25 custom keys are alphanumeric and should carry the vendor's name. */
export function cefFieldKey(fieldKey: string): string {
  return `palisade${fieldKey.charAt(0).toUpperCase()}${fieldKey.slice(1)}`;
}

/**
 * CEF rev 25, "Character encoding": in the header a backslash and a pipe are
 * escaped with a backslash. Multi-line values are allowed only in extensions,
 * so a CR or LF in a header field becomes a space.
 */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|\r\n]/g, (char) => (char === '\\' || char === '|' ? `\\${char}` : ' '));
}

/**
 * CEF rev 25, "Character encoding": in extension values a backslash and an
 * equal sign are escaped with a backslash, and newlines are written as `\n`
 * (LF) and `\r` (CR). Pipes need no escaping there.
 */
export function escapeCefExtension(value: string): string {
  return value.replace(/[\\=\r\n]/g, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    return `\\${char}`;
  });
}

/** CEF rev 25 Severity: an integer 0–10 as is; anything else (an unparsed event) is "Unknown". */
function cefSeverity(severity: number): string {
  return Number.isInteger(severity) && severity >= 0 && severity <= 10 ? String(severity) : 'Unknown';
}
