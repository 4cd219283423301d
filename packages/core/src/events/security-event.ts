import type { FieldProblem } from '../errors/palisade-error.ts';
import { PalisadeError } from '../errors/palisade-error.ts';

/** Who produced the event: an agent on a device, or the panel itself (EST, operators, exporters). */
export type EventSource = 'device' | 'panel';

/** A typed field value: flat scalars only, so every export format (CEF, RFC 5424 SD, JSON) carries it losslessly. */
export type EventFieldValue = string | number | boolean;

/**
 * One security event, from a device or from the panel, in the one shape every
 * consumer sees: the timeline, detection rules and the SIEM exporters.
 * Build it with `parseSecurityEvent`; the formatters escape whatever they are
 * given, but only a parsed event is guaranteed to fit the documented limits.
 */
export interface SecurityEvent {
  /** UUIDv7 or ULID assigned at the source (UUIDv4 tolerated); lower-case UUID, upper-case ULID. */
  readonly id: string;
  readonly source: EventSource;
  /** The device the event is about; null for panel events that concern no device. */
  readonly deviceId: string | null;
  /** Dotted lower-case name, e.g. `fim.modified`; see EVENT_CATALOGUE (uncatalogued types are allowed). */
  readonly type: string;
  /** 0 (debug) … 10 (the device or the fleet is compromised). */
  readonly severity: number;
  /** REQUIREMENTS.md control IDs the event is evidence for. */
  readonly controls: readonly string[];
  readonly message: string;
  /** When it happened, by the source's clock (RFC 3339, normalized to UTC `…Z`). */
  readonly occurredAt: string;
  /** When the panel ingested it, by the panel's clock. */
  readonly receivedAt: string;
  readonly fields: Readonly<Record<string, EventFieldValue>>;
}

export type EventErrorCode =
  /** One or more members are missing, malformed or over a limit; `details.problems` names each. */
  | 'EVENT_INVALID'
  /** Every member is valid but the whole event exceeds EVENT_LIMITS.maxEventBytes. */
  | 'EVENT_TOO_LARGE'
  /** Exporter configuration (syslog hostname, facility, size limit …) is not what the format allows. */
  | 'EXPORT_OPTIONS_INVALID';

/** Refusals of the event model: parsing untrusted events and configuring their export. */
export class EventError extends PalisadeError<EventErrorCode> {
  /** Every failing member, by JSON pointer (RFC 6901); empty for EVENT_TOO_LARGE. */
  readonly problems: readonly FieldProblem[];

  constructor(code: EventErrorCode, message: string, problems: readonly FieldProblem[] = []) {
    super(code, message, { details: { problems } });
    this.problems = problems;
  }
}

/**
 * Limits on untrusted events. They bound what one event costs to store, index
 * and export; they also keep an RFC 5424 header plus the `palisade@32473` SD
 * element under 2 KiB, so the syslog formatter never has to cut anything but MSG.
 */
export const EVENT_LIMITS = {
  typeLength: 64,
  deviceIdLength: 128,
  messageLength: 2048,
  fieldCount: 32,
  fieldStringLength: 1024,
  controlCount: 16,
  /** UTF-8 bytes of the event's canonical JSON. */
  maxEventBytes: 16_384,
  /** How far ahead of the panel's clock a source timestamp may be. */
  futureSkewMs: 24 * 60 * 60 * 1000,
} as const;

/** Dotted lower-case segments; `-` and `_` inside a segment keep the agents' existing kinds (`auth.login-failed`, `inventory`) valid. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*$/;
/**
 * camelCase alphanumerics, at most 32: a valid RFC 5424 PARAM-NAME (SD-NAME is
 * 1*32 PRINTUSASCII, §6.3.3) and, prefixed with `palisade`, a valid CEF custom
 * extension key (CEF rev 25: keys are alphanumeric, no spaces).
 */
export const FIELD_KEY_PATTERN = /^[a-z][A-Za-z0-9]{0,31}$/;
/** The server's DEVICE_ID_PATTERN (devices/device-types.ts), repeated here because core depends on nothing. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** RFC 9562 UUID, version 7 (time-ordered) or 4 (the fleet simulator's randomUUID), variant 10xx. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** ULID: 26 Crockford base-32 characters, the first at most 7 (48-bit timestamp). */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
