/** The slice of a pino logger the outbox uses; a pino `Logger` fits as is. */
export interface OutboxLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

function line(level: string, fields: object, message: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), msg: message, ...fields })}\n`);
}

/** Used when the agent passes no logger: recovery problems must never be silent. */
export const stderrLogger: OutboxLogger = {
  info: (fields, message) => line('info', fields, message),
  warn: (fields, message) => line('warn', fields, message),
  error: (fields, message) => line('error', fields, message),
};
