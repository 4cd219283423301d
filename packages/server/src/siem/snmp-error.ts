import { PalisadeError } from '@palisade/core';

export type SnmpExportErrorCode =
  /** The sender's options are malformed (a field is missing, of the wrong type or out of range). */
  | 'SNMP_CONFIG_INVALID'
  /** SNMPv3 without both authentication and privacy: refused, the panel only exports authPriv (RFC 3414 §3, RFC 3826). */
  | 'SNMP_V3_AUTH_PRIV_REQUIRED'
  /** The event cannot be expressed in PALISADE-MIB (empty id or type, severity outside 0..10, invalid time). */
  | 'SNMP_EVENT_INVALID'
  /** An inform got no acknowledgement after every retry (RFC 3416 §4.2.7): the event may not have arrived. */
  | 'SNMP_INFORM_UNACKNOWLEDGED'
  /** The receiver answered an inform with a Report or error (wrong key, unknown user, RFC 3414 §3.2). */
  | 'SNMP_INFORM_REJECTED'
  /** The notification could not be sent at all (socket error, encoding error). */
  | 'SNMP_SEND_FAILED'
  /** `send` after `close`. */
  | 'SNMP_SENDER_CLOSED';

/** Refusals and failures of the SNMP exporter. Messages and details never carry communities or keys. */
export class SnmpExportError extends PalisadeError<SnmpExportErrorCode> {}
