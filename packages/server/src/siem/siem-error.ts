import { PalisadeError } from '@palisade/core';

export type SiemErrorCode =
  /** Could not connect, or the connection broke before the bytes reached the kernel: retry later. */
  | 'SIEM_DESTINATION_UNREACHABLE'
  /** A message exceeds what the transport may carry (RFC 5426 §3.2 for UDP); retrying will not help. */
  | 'SIEM_MESSAGE_TOO_LARGE'
  /** The TLS handshake failed: untrusted or misnamed server certificate, or the server refused our client certificate. */
  | 'SIEM_TLS_REFUSED'
  /** An empty message: RFC 6587 octet counting cannot frame it, and it carries no event. */
  | 'SIEM_MESSAGE_INVALID'
  /** `send` after `close`. */
  | 'SIEM_TRANSPORT_CLOSED'
  /** An exporter's destination settings are unusable (not https, a short secret, …). */
  | 'SIEM_CONFIG_INVALID';

/**
 * Failures of a SIEM destination. These never reach an HTTP client: the
 * exporter's outbox keeps unsent events and retries them.
 */
export class SiemError extends PalisadeError<SiemErrorCode> {}
