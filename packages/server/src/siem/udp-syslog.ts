import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { isIPv6 } from 'node:net';
import { SiemError } from './siem-error.ts';
import {
  encodeMessages,
  type SyslogDestination,
  type SyslogTransport,
  serialized,
} from './syslog-transport.ts';

/** RFC 5426 §3.2: every receiver SHOULD accept 2048 octets; larger is only "encouraged". */
const RFC5426_PORTABLE_SIZE = 2048;
/** RFC 5426 §3.2: a datagram cannot carry more than 65535 − 8 (UDP) − 20 (IPv4) octets. */
const UDP_IPV4_MAX_PAYLOAD = 65_507;

export interface UdpSyslogOptions extends SyslogDestination {
  /**
   * Largest message sent, in octets. Default 2048, which RFC 5426 §3.2 says
   * every receiver SHOULD accept; raise it only for a receiver known to take
   * more (rsyslog: `maxMessageSize`), at most 65507.
   */
  readonly maxMessageBytes?: number;
}

/**
 * Syslog over UDP (RFC 5426): one message per datagram (§3.1), no framing.
 *
 * A message over `maxMessageBytes` is refused (`SIEM_MESSAGE_TOO_LARGE`), and
 * with it the whole batch, before anything is sent. RFC 5424 §6.1 lets a
 * receiver truncate, but a truncated CEF or JSON payload is a corrupt event, so
 * the sender refuses instead of truncating.
 *
 * UDP has no delivery feedback at all: `send` resolves once the kernel took
 * each datagram, and a datagram dropped on the way (or by a full receive
 * buffer) is lost without trace. The socket is connected, so an ICMP "port
 * unreachable" surfaces as `SIEM_DESTINATION_UNREACHABLE` on a later send.
 * Use TCP or TLS where loss matters.
 *
 * `host` is an IP address or a name resolving to IPv4 (an IPv6 literal opens an IPv6 socket).
 */
export function udpSyslog(options: UdpSyslogOptions): SyslogTransport {
  const maxMessageBytes = options.maxMessageBytes ?? RFC5426_PORTABLE_SIZE;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 480 || maxMessageBytes > UDP_IPV4_MAX_PAYLOAD) {
    // RFC 5426 §3.2: 480 octets is what every IPv4 receiver MUST accept.
    throw new RangeError(`maxMessageBytes must be an integer from 480 to ${UDP_IPV4_MAX_PAYLOAD}`);
  }
  let socket: Promise<Socket> | undefined;
  let closed = false;

  const connect = async (): Promise<Socket> => {
    const created = createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');
    // Errors also reach the pending send callbacks; this listener only keeps them from crashing the process.
    created.on('error', () => undefined);
    try {
      created.connect(options.port, options.host);
      await once(created, 'connect');
      return created;
    } catch (error) {
      created.close();
      throw unreachable(options, error);
    }
  };

  const send = serialized(async (messages) => {
    if (closed) throw new SiemError('SIEM_TRANSPORT_CLOSED', 'the syslog transport is closed');
    const datagrams = encodeMessages(messages, maxMessageBytes);
    if (datagrams.length === 0) return;
    socket ??= connect();
    let connected: Socket;
    try {
      connected = await socket;
    } catch (error) {
      socket = undefined; // the next batch tries again (a name may resolve by then)
      throw error;
    }
    // All datagrams are handed to the kernel before the first callback returns; await them together.
    const results = await Promise.allSettled(
      datagrams.map(
        (datagram) =>
          new Promise<void>((resolve, reject) =>
            connected.send(datagram, (error) => (error === null ? resolve() : reject(error))),
          ),
      ),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw unreachable(options, failed.reason);
  });

  return {
    send,
    close: async () => {
      if (closed) return;
      closed = true;
      await send([]).catch(() => undefined); // waits for batches already queued
      const open = await socket?.catch(() => undefined);
      if (open !== undefined) await new Promise<void>((resolve) => open.close(() => resolve()));
    },
  };
}

function unreachable(destination: SyslogDestination, cause: unknown): SiemError {
  const reason =
    cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new SiemError(
    'SIEM_DESTINATION_UNREACHABLE',
    `syslog over UDP to ${destination.host}:${destination.port} failed: ${reason}`,
    { details: { host: destination.host, port: destination.port, reason }, cause },
  );
}
