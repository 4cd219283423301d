import { connect as connectTcp, type Socket } from 'node:net';
import { setImmediate as nextLoopTurn, setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { SiemError } from './siem-error.ts';
import {
  encodeMessages,
  type SyslogDestination,
  type SyslogTransport,
  serialized,
} from './syslog-transport.ts';

export interface StreamSyslogOptions extends SyslogDestination {
  /**
   * Largest message sent, in octets. Default 8192: RFC 5425 §4.3.1 says
   * receivers SHOULD take that much, and it is rsyslog's default
   * `maxMessageSize`. A receiver truncates longer messages, so raise this only
   * together with the receiver's limit.
   */
  readonly maxMessageBytes?: number;
  /** Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A batch not taken by the kernel within this time (the receiver stopped reading) fails the connection. Default 30 s. */
  readonly writeTimeoutMs?: number;
}

export interface TlsSyslogOptions extends StreamSyslogOptions {
  /** The only trust anchor for the server certificate (system roots are not used). */
  readonly caPem: string;
  /** The DNS name the server certificate must carry (RFC 5425 §5.2, RFC 6125); also sent as SNI. */
  readonly servername: string;
  /**
   * For a receiver that requires client certificates (mutual authentication,
   * RFC 5425 §4.2.1 and §5.1; rsyslog `x509/certvalid`). Without one we are an
   * unauthenticated transport sender (§5.3), which such a receiver refuses.
   */
  readonly clientCert?: { readonly certPem: string; readonly keyPem: string };
  /**
   * How long a fresh connection must stay open after the handshake before it
   * is used. In TLS 1.3 the client finishes its handshake before the server has
   * judged the client certificate, and rsyslog checks it only after the
   * handshake, so a refusal arrives as a hang-up just afterwards; writing
   * earlier would lose the first batch into a socket the server is closing.
   * Default 200 ms, paid once per connection.
   */
  readonly handshakeSettleMs?: number;
}

/**
 * Syslog over TCP with octet-counting framing (RFC 6587 §3.4.1:
 * `MSG-LEN SP SYSLOG-MSG`). Octet counting, unlike LF framing (§3.4.2), keeps
 * a line feed inside a message from starting a forged record.
 *
 * One persistent connection, opened on the first `send` and again after it
 * breaks; a send that cannot connect rejects with
 * `SIEM_DESTINATION_UNREACHABLE` (the exporter's outbox retries with backoff,
 * so the transport does not loop itself).
 */
export function tcpSyslog(options: StreamSyslogOptions): SyslogTransport {
  return streamSyslog(options, 'TCP', (done) => {
    const socket = connectTcp({ host: options.host, port: options.port });
    socket.once('connect', () => done(socket));
    return socket;
  });
}

/**
 * Syslog over TLS (RFC 5425): TLS 1.2 or later (RFC 9662), the server
 * certificate verified against `caPem` (§4.2.1) and `servername` (§5.2),
 * octet-counting framing (§4.3), an optional client certificate (§4.2.1).
 * A failed handshake, or a server hanging up right after it (client
 * certificate refused), rejects with `SIEM_TLS_REFUSED`, which retrying will
 * not fix.
 */
export function tlsSyslog(options: TlsSyslogOptions): SyslogTransport {
  const settleMs = options.handshakeSettleMs ?? 200;
  return streamSyslog(options, 'TLS', (done, refused) => {
    const socket = connectTls({
      host: options.host,
      port: options.port,
      servername: options.servername,
      ca: options.caPem,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ...(options.clientCert === undefined
        ? {}
        : { cert: options.clientCert.certPem, key: options.clientCert.keyPem }),
    });
    socket.once('connect', () => refused()); // from here on, a failure is the TLS layer refusing
    socket.once('secureConnect', () => {
      void sleep(settleMs).then(() => {
        if (!socket.destroyed && !socket.readableEnded) done(socket);
      });
    });
    return socket;
  });
}

type Opener = (done: (socket: Socket) => void, tcpConnected: () => void) => Socket;

function streamSyslog(options: StreamSyslogOptions, kind: 'TCP' | 'TLS', open: Opener): SyslogTransport {
  const maxMessageBytes = options.maxMessageBytes ?? 8192;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const writeTimeoutMs = options.writeTimeoutMs ?? 30_000;
  const where = `${options.host}:${options.port}`;
  let live: Socket | undefined;
  let closed = false;

  const fail = (code: 'SIEM_DESTINATION_UNREACHABLE' | 'SIEM_TLS_REFUSED', cause: unknown): SiemError => {
    const reason =
      cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    const what = code === 'SIEM_TLS_REFUSED' ? 'refused the TLS connection' : 'is unreachable';
    return new SiemError(code, `syslog over ${kind} to ${where} ${what}: ${reason}`, {
      details: { host: options.host, port: options.port, reason },
      cause,
    });
  };

  const connect = () =>
    new Promise<Socket>((resolve, reject) => {
      let tcpConnected = false;
      let settled = false;
      const socket = open(
        (ready) => {
          settled = true;
          clearTimeout(timer);
          resolve(ready);
        },
        () => {
          tcpConnected = true;
        },
      );
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true; // slow is not refused: a timeout stays retryable even mid-handshake
        socket.destroy(new Error('connect timed out'));
      }, connectTimeoutMs);
      socket.setNoDelay(true); // whole batches are written at once; do not hold the tail back
      socket.setKeepAlive(true, 30_000); // notice a peer that vanished while idle
      socket.resume(); // the receiver sends nothing, but reading is how its hang-up (EOF) is seen
      const lost = (error?: Error) => {
        if (live === socket) live = undefined;
        socket.destroy();
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const cause = error ?? new Error('the server closed the connection during the handshake');
        reject(
          fail(
            kind === 'TLS' && tcpConnected && !timedOut ? 'SIEM_TLS_REFUSED' : 'SIEM_DESTINATION_UNREACHABLE',
            cause,
          ),
        );
      };
      socket.on('error', lost);
      socket.on('end', () => lost());
      socket.on('close', () => lost());
    });

  const send = serialized(async (messages) => {
    if (closed) throw new SiemError('SIEM_TRANSPORT_CLOSED', 'the syslog transport is closed');
    const bodies = encodeMessages(messages, maxMessageBytes);
    if (bodies.length === 0) return;
    // RFC 6587 §3.4.1 octet counting: MSG-LEN (octets, decimal) SP SYSLOG-MSG.
    const frame = Buffer.concat(bodies.flatMap((body) => [Buffer.from(`${body.length} `, 'latin1'), body]));
    // Let pending socket events run first: a hang-up that already arrived must
    // not be answered by writing into the dying socket and reporting success.
    await nextLoopTurn();
    if (live === undefined || live.destroyed || !live.writable) live = await connect();
    const socket = live;
    await new Promise<void>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        socket.destroy(); // cancels the write: its callback gets an error
      }, writeTimeoutMs);
      // The callback runs once the bytes are in the kernel's send buffer, or with the error that stopped them.
      socket.write(frame, (error) => {
        clearTimeout(timer);
        if (error === null || error === undefined) resolve();
        else {
          socket.destroy();
          reject(fail('SIEM_DESTINATION_UNREACHABLE', timedOut ? new Error('write timed out') : error));
        }
      });
    });
  });

  return {
    send,
    close: async () => {
      if (closed) return;
      closed = true;
      await send([]).catch(() => undefined); // waits for batches already queued
      const socket = live;
      live = undefined;
      if (socket === undefined || socket.destroyed) return;
      const gone = new Promise((resolve) => socket.once('close', resolve));
      socket.end(); // FIN after the buffered bytes
      const timer = setTimeout(() => socket.destroy(), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
