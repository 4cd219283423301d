/**
 * PALISADE-MIB (mibs/PALISADE-MIB.txt) on the wire: the OIDs, and a security
 * event turned into the varbinds of palisadeSecurityEvent, each value cut to
 * the SIZE its object declares.
 */
import { SnmpExportError } from './snmp-error.ts';
import type { NotificationVarbind } from './snmp-session.ts';

/**
 * palisadeMIB: the IANA documentation enterprise 32473 (RFC 5612). A
 * deployment with its own Private Enterprise Number changes this and the
 * MODULE-IDENTITY of mibs/PALISADE-MIB.txt together.
 */
export const PALISADE_MIB_ROOT = '1.3.6.1.4.1.32473';

/** palisadeSecurityEvent NOTIFICATION-TYPE ::= { palisadeNotifications 1 }. */
export const PALISADE_SECURITY_EVENT_OID = `${PALISADE_MIB_ROOT}.0.1`;

const EVENT = `${PALISADE_MIB_ROOT}.1.1`;

/** The objects of palisadeSecurityEvent, in its OBJECTS order; scalars, so instance `.0` (RFC 2578 §7.7). */
export const PALISADE_EVENT_OIDS = {
  id: `${EVENT}.1.0`,
  type: `${EVENT}.2.0`,
  severity: `${EVENT}.3.0`,
  deviceId: `${EVENT}.4.0`,
  source: `${EVENT}.5.0`,
  controls: `${EVENT}.6.0`,
  message: `${EVENT}.7.0`,
  occurredAt: `${EVENT}.8.0`,
} as const;

/** The SIZE limits of PALISADE-MIB, in octets of UTF-8. */
export const PALISADE_MIB_SIZES = { id: 64, type: 64, deviceId: 128, controls: 255, message: 255 } as const;

/** A security event as the SNMP exporter needs it (the event model maps onto it). */
export interface TrapEvent {
  readonly id: string;
  readonly type: string;
  /** 0 (informational) to 10 (critical). */
  readonly severity: number;
  /** null for events that concern no device. */
  readonly deviceId: string | null;
  readonly source: 'device' | 'panel';
  readonly controls: readonly string[];
  readonly message: string;
  /** A Date, or an RFC 3339 timestamp. */
  readonly occurredAt: Date | string;
}

const SOURCE = { device: 1, panel: 2 } as const;

export function securityEventVarbinds(event: TrapEvent): NotificationVarbind[] {
  const problems: string[] = [];
  if (event.id === '') problems.push('id is empty');
  if (event.type === '') problems.push('type is empty');
  if (!Number.isInteger(event.severity) || event.severity < 0 || event.severity > 10)
    problems.push('severity is not an integer in 0..10');
  if (!(event.source in SOURCE)) problems.push('source is neither device nor panel');
  const occurredAt = typeof event.occurredAt === 'string' ? new Date(event.occurredAt) : event.occurredAt;
  // DateAndTime's year is two octets (RFC 2579).
  const year = occurredAt.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 65535) problems.push('occurredAt is not a valid time');
  if (problems.length > 0) {
    throw new SnmpExportError(
      'SNMP_EVENT_INVALID',
      `event cannot be sent as palisadeSecurityEvent: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
  }
  const octets = (oid: string, value: Buffer): NotificationVarbind => ({ oid, type: 'octets', value });
  return [
    octets(PALISADE_EVENT_OIDS.id, utf8Prefix(event.id, PALISADE_MIB_SIZES.id)),
    octets(PALISADE_EVENT_OIDS.type, utf8Prefix(event.type, PALISADE_MIB_SIZES.type)),
    { oid: PALISADE_EVENT_OIDS.severity, type: 'integer', value: event.severity },
    octets(PALISADE_EVENT_OIDS.deviceId, utf8Prefix(event.deviceId ?? '', PALISADE_MIB_SIZES.deviceId)),
    { oid: PALISADE_EVENT_OIDS.source, type: 'integer', value: SOURCE[event.source] },
    octets(PALISADE_EVENT_OIDS.controls, controlList(event.controls, PALISADE_MIB_SIZES.controls)),
    octets(PALISADE_EVENT_OIDS.message, utf8Prefix(event.message, PALISADE_MIB_SIZES.message, '…')),
    octets(PALISADE_EVENT_OIDS.occurredAt, dateAndTime(occurredAt)),
  ];
}

/**
 * The longest prefix of `text` that fits `maxOctets` of UTF-8 without splitting
 * a character (RFC 3629); when cut, ends with `marker` so readers see the cut.
 */
export function utf8Prefix(text: string, maxOctets: number, marker = ''): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxOctets) return bytes;
  const markerBytes = Buffer.byteLength(marker) <= maxOctets ? Buffer.from(marker, 'utf8') : Buffer.alloc(0);
  let end = Math.max(0, maxOctets - markerBytes.length);
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return Buffer.concat([bytes.subarray(0, end), markerBytes]);
}

/** Comma-separated control identifiers: whole identifiers only, cut at a comma when the list does not fit. */
function controlList(controls: readonly string[], maxOctets: number): Buffer {
  let list = '';
  for (const control of controls) {
    const next = list === '' ? control : `${list},${control}`;
    if (Buffer.byteLength(next, 'utf8') > maxOctets) break;
    list = next;
  }
  return Buffer.from(list, 'utf8');
}

/**
 * RFC 2579 DateAndTime, 11 octets, in UTC: year (2, network order), month,
 * day, hour, minutes, seconds, deci-seconds, '+', 0 hours, 0 minutes from UTC.
 */
export function dateAndTime(time: Date): Buffer {
  const octets = Buffer.alloc(11);
  octets.writeUInt16BE(time.getUTCFullYear(), 0);
  octets[2] = time.getUTCMonth() + 1;
  octets[3] = time.getUTCDate();
  octets[4] = time.getUTCHours();
  octets[5] = time.getUTCMinutes();
  octets[6] = time.getUTCSeconds();
  octets[7] = Math.floor(time.getUTCMilliseconds() / 100);
  octets[8] = 0x2b; // '+'
  return octets;
}
