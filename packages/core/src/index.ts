export { canonicalJson } from './encoding/canonical-json.ts';
export type { FieldProblem } from './errors/palisade-error.ts';
export { PalisadeError } from './errors/palisade-error.ts';
export type { CefOptions } from './events/cef.ts';
export { CEF_VENDOR, cefFieldKey, escapeCefExtension, escapeCefHeader, formatCef } from './events/cef.ts';
export type { ControlId } from './events/control-ids.ts';
export { CONTROL_IDS, isControlId } from './events/control-ids.ts';
export type { EventFieldSpec, EventFieldType, EventTypeInfo } from './events/event-catalogue.ts';
export { EVENT_CATALOGUE, eventTypeInfo } from './events/event-catalogue.ts';
export { formatEventJson } from './events/json.ts';
export type { ParseEventOptions } from './events/parse-security-event.ts';
export { parseSecurityEvent } from './events/parse-security-event.ts';
export type {
  EventErrorCode,
  EventFieldValue,
  EventSource,
  SecurityEvent,
} from './events/security-event.ts';
export {
  EVENT_LIMITS,
  EVENT_TYPE_PATTERN,
  EventError,
  FIELD_KEY_PATTERN,
} from './events/security-event.ts';
export type { SyslogOptions } from './events/syslog.ts';
export {
  assertSyslogOptions,
  escapeSdParamValue,
  formatSyslog5424,
  frameOctetCounting,
  PALISADE_FIELDS_SD_ID,
  PALISADE_SD_ID,
  SYSLOG_DEFAULT_MAX_BYTES,
  SYSLOG_TRUNCATION_MARKER,
  syslogSeverity,
} from './events/syslog.ts';
export type { OperatorRole } from './operators/roles.ts';
export { isOperatorRole, OPERATOR_ROLES } from './operators/roles.ts';
