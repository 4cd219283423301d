import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs (journald keeps them under systemd). Tokens, PINs and
 * passphrases are redacted wherever an object could carry one; no code logs
 * them on purpose.
 */
export function createAgentLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'palisade-agent' },
      redact: { paths: ['*.token', '*.pin', '*.passphrase', '*.privateKeyIdentifier'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
