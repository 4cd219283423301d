/**
 * Exports security events to SIEM/NMS systems as PALISADE-MIB
 * palisadeSecurityEvent notifications, over SNMPv2c or SNMPv3 (USM authPriv).
 *
 * Delivery: a trap (SNMPv2-Trap-PDU, RFC 3416 §4.2.6) is one UDP datagram
 * that nothing acknowledges: a receiver that is down, a full socket buffer or
 * a lossy link drops it silently and `send` still resolves. An inform
 * (InformRequest-PDU, RFC 3416 §4.2.7) is answered by the receiver with a
 * Response-PDU; unanswered, it is retransmitted `retries` times, then `send`
 * rejects with SNMP_INFORM_UNACKNOWLEDGED so the caller can keep the event
 * and try again. Informs are the default and the recommended mode, because
 * the exporter must not lose events. A retransmitted inform may arrive
 * twice: receivers deduplicate on palisadeEventId.
 *
 * SNMPv3 is authPriv only (RFC 3414 HMAC-SHA / RFC 7860 HMAC-SHA-2, RFC 3826
 * AES): without privacy the event text would cross the network in clear.
 * For informs the receiver is the authoritative engine and is discovered
 * (RFC 3414 §4); for traps this sender is, so traps need a fixed `engineId`.
 */
import { SnmpExportError } from './snmp-error.ts';
import { parseSnmpSenderOptions, type SnmpTrapSenderOptions } from './snmp-sender-options.ts';
import { openNotificationSession } from './snmp-session.ts';
import { PALISADE_SECURITY_EVENT_OID, securityEventVarbinds, type TrapEvent } from './snmp-varbinds.ts';

export interface SnmpTrapSender extends AsyncDisposable {
  /**
   * Sends one event. With informs, resolves once the receiver acknowledged it;
   * with traps, once the datagram left (no proof of delivery).
   * @throws SnmpExportError SNMP_EVENT_INVALID, SNMP_INFORM_UNACKNOWLEDGED,
   *   SNMP_INFORM_REJECTED, SNMP_SEND_FAILED, SNMP_SENDER_CLOSED
   */
  send(event: TrapEvent): Promise<void>;
  /** Waits for informs in flight to settle, then releases the socket. Idempotent. */
  close(): Promise<void>;
}

/**
 * @throws SnmpExportError SNMP_CONFIG_INVALID or SNMP_V3_AUTH_PRIV_REQUIRED, naming every failing field.
 * @example
 * const sender = snmpTrapSender({
 *   host: 'nms.example.net', version: '3',
 *   user: { name: 'palisade', authProtocol: 'sha256', authKey, privProtocol: 'aes', privKey },
 * });
 * await sender.send(event); // an acknowledged inform
 */
export function snmpTrapSender(options: SnmpTrapSenderOptions): SnmpTrapSender {
  const config = parseSnmpSenderOptions(options);
  const session = openNotificationSession(config.target, config.security);
  const inFlight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      await Promise.allSettled(inFlight);
      session.close();
    })();
    return closing;
  };

  return {
    async send(event) {
      if (closing !== undefined) throw new SnmpExportError('SNMP_SENDER_CLOSED', 'the SNMP sender is closed');
      const varbinds = securityEventVarbinds(event);
      const sent = config.inform
        ? session.inform(PALISADE_SECURITY_EVENT_OID, varbinds)
        : session.trap(PALISADE_SECURITY_EVENT_OID, varbinds);
      inFlight.add(sent);
      try {
        await sent;
      } finally {
        inFlight.delete(sent);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export type {
  SnmpTrapSenderOptions,
  SnmpV3User,
  UsmAuthProtocol,
  UsmPrivProtocol,
} from './snmp-sender-options.ts';
export type { TrapEvent } from './snmp-varbinds.ts';
