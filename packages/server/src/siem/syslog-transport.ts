import { SiemError } from './siem-error.ts';

/**
 * Carries already-formatted syslog messages (RFC 5424 lines, CEF or JSON in
 * MSG, no framing) to a SIEM. Implementations: `udpSyslog` (RFC 5426),
 * `tcpSyslog` (RFC 6587 octet counting) and `tlsSyslog` (RFC 5425).
 *
 * What "sent" means: `send` resolves once every byte of the batch has been
 * handed to the kernel. Syslog over TCP and TLS has no application-level
 * acknowledgement (neither RFC 6587 nor RFC 5425 defines one; RELP has), so a resolved `send`
 * is not proof of receipt: bytes in flight when the peer dies are lost
 * silently. A rejected `send` means the batch may be partly delivered; the
 * caller retries it, which can duplicate events (at-least-once), so events
 * should carry an id the SIEM can deduplicate on. `send` never resolves for a
 * batch whose bytes it could not write.
 */
export interface SyslogTransport {
  /**
   * Sends a batch, in order. Batches are serialized: a second `send` waits for
   * the first. Rejects with a `SiemError`; a rejected batch should be retried.
   */
  send(messages: readonly string[]): Promise<void>;
  /** Flushes what was written and releases the socket; `send` afterwards rejects. */
  close(): Promise<void>;
}

export interface SyslogDestination {
  readonly host: string;
  readonly port: number;
}

/** Refuses the whole batch before any of it is sent, so a batch is never cut short by a bad message. */
export function encodeMessages(messages: readonly string[], maxMessageBytes: number): Buffer[] {
  return messages.map((message, index) => {
    const bytes = Buffer.from(message, 'utf8');
    // RFC 6587 §3.4.1: MSG-LEN is NONZERO-DIGIT *DIGIT, so an empty message cannot be framed.
    if (bytes.length === 0)
      throw new SiemError('SIEM_MESSAGE_INVALID', 'a syslog message cannot be empty', { details: { index } });
    if (bytes.length > maxMessageBytes) {
      throw new SiemError(
        'SIEM_MESSAGE_TOO_LARGE',
        `a syslog message is ${bytes.length} bytes; this destination takes at most ${maxMessageBytes}`,
        {
          details: { index, bytes: bytes.length, maxMessageBytes },
        },
      );
    }
    return bytes;
  });
}

/**
 * Runs `send` calls one after another, so batches never interleave on the
 * wire and a reconnect is attempted by one batch at a time.
 */
export function serialized(run: (messages: readonly string[]) => Promise<void>): SyslogTransport['send'] {
  let tail: Promise<unknown> = Promise.resolve();
  return (messages) => {
    const result = tail.then(() => run(messages));
    tail = result.catch(() => undefined);
    return result;
  };
}
