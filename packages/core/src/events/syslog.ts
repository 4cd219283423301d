import type { FieldProblem } from '../errors/palisade-error.ts';
import type { CefOptions } from './cef.ts';
import { formatCef } from './cef.ts';
import { formatEventJson } from './json.ts';
import type { SecurityEvent } from './security-event.ts';
import { EventError, FIELD_KEY_PATTERN } from './security-event.ts';
import { truncateUtf8, utf8Length } from './utf8.ts';

/**
 * SD-IDs (RFC 5424 §6.3.2): `name@<private enterprise number>`. 32473 is the
 * example PEN reserved for documentation by RFC 5612; a production deployment
 * should register its own PEN with IANA and configure it here.
 */
export const PALISADE_SD_ID = 'palisade@32473';
export const PALISADE_FIELDS_SD_ID = 'palisadeFields@32473';
/** RFC 5425 §4.3.1: TLS receivers SHOULD accept 8192 octets (rsyslog's default maxMessageSize is 8k too). */
export const SYSLOG_DEFAULT_MAX_BYTES = 8192;
/** RFC 5424 §6.1: receivers SHOULD accept 2048 octets; a parsed event's header and palisade SD fit in that. */
export const SYSLOG_MIN_MAX_BYTES = 2048;
export const SYSLOG_TRUNCATION_MARKER = '...[truncated]';

interface SyslogCommonOptions {
  /** RFC 5424 §6.2.4: FQDN, IP address or host name; 1–255 printable US-ASCII. */
  readonly hostname: string;
  /** §6.2.5: 1–48 printable US-ASCII, e.g. `palisade-panel`. */
  readonly appName: string;
  /** §6.2.6: 1–128 printable US-ASCII; NILVALUE when absent. */
  readonly procId?: string;
  /** §6.2.7: 1–32 printable US-ASCII; NILVALUE when absent (the type is in the SD). */
  readonly msgId?: string;
  /** §6.2.1 Table 1 facility code 0–23 (local0–local7 are 16–23). */
  readonly facility: number;
  /** Start MSG with the UTF-8 BOM (§6.4)? Default false: see docs/events-and-siem.md. */
  readonly bom?: boolean;
  /** Whole message in UTF-8 octets, 2048 … 1 MiB; default 8192. */
  readonly maxBytes?: number;
}

export type SyslogOptions = SyslogCommonOptions &
  ({ readonly payload: 'cef'; readonly cef: CefOptions } | { readonly payload: 'json' });

/**
 * Palisade severity 0–10 → RFC 5424 §6.2.1 severity. Emergency (0) is never
 * used: it means "system is unusable" and Debian's rsyslog broadcasts
 * `*.emerg` to every logged-in terminal.
 */
const SYSLOG_SEVERITY = [7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 1] as const;

/** The RFC 5424 severity for a Palisade severity; an out-of-range one (unparsed event) is warning (4). */
export function syslogSeverity(severity: number): number {
  return SYSLOG_SEVERITY[severity] ?? 4;
}

/**
 * One RFC 5424 message (§6), without transport framing (see frameOctetCounting):
 *
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [palisade@32473 …][palisadeFields@32473 …] MSG`
 *
 * PRI is facility × 8 + syslogSeverity; TIMESTAMP is receivedAt (the panel's
 * clock; occurredAt is in the SD); MSG is the CEF line or the canonical JSON.
 * Over maxBytes, the palisadeFields element goes first (the payload repeats
 * the fields), then MSG is cut on a UTF-8 boundary and ends with
 * SYSLOG_TRUNCATION_MARKER; either cut adds `truncated="true"` to the SD.
 * Never contains CR or LF, whatever the event holds. Throws EventError
 * EXPORT_OPTIONS_INVALID for bad options only.
 */
export function formatSyslog5424(event: SecurityEvent, options: SyslogOptions): string {
  assertSyslogOptions(options);
  const maxBytes = options.maxBytes ?? SYSLOG_DEFAULT_MAX_BYTES;
  const pri = options.facility * 8 + syslogSeverity(event.severity);
  const head = [
    `<${pri}>1`,
    rfc3339(event.receivedAt),
    options.hostname,
    options.appName,
    options.procId ?? '-',
    options.msgId ?? '-',
  ].join(' ');
  const payload = options.payload === 'cef' ? formatCef(event, options.cef) : formatEventJson(event);
  const bom = options.bom ? '\uFEFF' : '';
  const full = `${head} ${palisadeElement(event, false)}${fieldsElement(event)} ${bom}${payload}`;
  if (utf8Length(full) <= maxBytes) return full;
  const prefix = `${head} ${palisadeElement(event, true)} ${bom}`;
  if (utf8Length(prefix) + utf8Length(payload) <= maxBytes) return `${prefix}${payload}`;
  const budget = maxBytes - utf8Length(prefix) - SYSLOG_TRUNCATION_MARKER.length;
  return `${prefix}${truncateUtf8(payload, budget)}${SYSLOG_TRUNCATION_MARKER}`;
}

/** Throws EventError EXPORT_OPTIONS_INVALID naming every bad option; exporters call it at configuration time. */
export function assertSyslogOptions(options: SyslogOptions): void {
  const problems: FieldProblem[] = [];
  const header = (name: string, value: string | undefined, max: number): void => {
    if (value !== undefined && !new RegExp(`^[!-~]{1,${max}}$`).test(value)) {
      problems.push({
        path: `/${name}`,
        message: `must be 1-${max} printable US-ASCII characters (RFC 5424 §6.2)`,
      });
    }
  };
  header('hostname', options.hostname, 255);
  header('appName', options.appName, 48);
  header('procId', options.procId, 128);
  header('msgId', options.msgId, 32);
  if (!Number.isInteger(options.facility) || options.facility < 0 || options.facility > 23) {
    problems.push({ path: '/facility', message: 'must be an integer 0-23 (RFC 5424 §6.2.1)' });
  }
  const max = options.maxBytes;
  if (max !== undefined && !(Number.isInteger(max) && max >= SYSLOG_MIN_MAX_BYTES && max <= 1_048_576)) {
    problems.push({ path: '/maxBytes', message: `must be an integer ${SYSLOG_MIN_MAX_BYTES}-1048576` });
  }
  if (problems.length > 0) {
    throw new EventError('EXPORT_OPTIONS_INVALID', 'syslog export options are invalid', problems);
  }
}

/**
 * RFC 6587 §3.4.1 octet-counting framing for syslog over TCP (and RFC 5425
 * §4.3 over TLS): `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in UTF-8 octets. The
 * receiver reads exactly that many octets, so nothing inside can end the frame.
 */
export function frameOctetCounting(message: string): Uint8Array {
  const body = new TextEncoder().encode(message);
  const prefix = new TextEncoder().encode(`${body.length} `);
  const frame = new Uint8Array(prefix.length + body.length);
  frame.set(prefix, 0);
  frame.set(body, prefix.length);
  return frame;
}

function palisadeElement(event: SecurityEvent, truncated: boolean): string {
  const params: [string, string][] = [
    ['id', event.id],
    ['type', event.type],
    ['source', event.source],
  ];
  if (event.deviceId !== null) params.push(['device', event.deviceId]);
  params.push(['severity', String(event.severity)]);
  if (event.controls.length > 0) params.push(['controls', event.controls.join(',')]);
  params.push(['occurred', event.occurredAt], ['received', event.receivedAt]);
  if (truncated) params.push(['truncated', 'true']);
  return sdElement(PALISADE_SD_ID, params);
}

function fieldsElement(event: SecurityEvent): string {
  const params: [string, string][] = [];
  for (const key of Object.keys(event.fields).sort()) {
    const value = event.fields[key];
    // A PARAM-NAME is 1*32 PRINTUSASCII without = SP ] " (§6.3.3); FIELD_KEY_PATTERN guarantees that.
    if (value !== undefined && FIELD_KEY_PATTERN.test(key)) params.push([key, String(value)]);
  }
  return params.length > 0 ? sdElement(PALISADE_FIELDS_SD_ID, params) : '';
}

function sdElement(id: string, params: readonly [string, string][]): string {
  return `[${id}${params.map(([name, value]) => ` ${name}="${escapeSdParamValue(value)}"`).join('')}]`;
}

/**
 * RFC 5424 §6.3.3: `"`, `\` and `]` MUST be escaped with a backslash inside
 * PARAM-VALUE. CR and LF are legal there but would end the line for
 * line-based receivers, so Palisade writes them as `\r` and `\n` (a strict
 * RFC 5424 reader shows the backslash and the letter, which is still legible).
 */
export function escapeSdParamValue(value: string): string {
  return value.replace(/["\\\]\r\n]/g, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    return `\\${char}`;
  });
}

/** RFC 5424 §6.2.3 TIMESTAMP (RFC 3339, UTC, 3 of the allowed 6 fraction digits), or NILVALUE. */
function rfc3339(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '-';
  const text = new Date(ms).toISOString();
  return /^\d{4}-/.test(text) ? text : '-';
}
