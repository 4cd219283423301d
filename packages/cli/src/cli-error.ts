import { PalisadeError } from '@palisade/core';
import type { HttpErrorCode } from '@palisade/server';

/** Failures the CLI detects itself, before or after talking to the panel. */
export type LocalErrorCode =
  | 'USAGE'
  | 'NOT_LOGGED_IN'
  | 'SESSION_FILE_INVALID'
  | 'PASSWORD_INPUT'
  | 'CA_FILE_UNREADABLE'
  | 'DATA_DIR_INVALID'
  | 'FILE_UNREADABLE'
  | 'FILE_EXISTS'
  | 'FILE_UNWRITABLE'
  | 'LAB_CA_INVALID'
  | 'PANEL_UNREACHABLE'
  | 'PANEL_UNTRUSTED'
  | 'PANEL_RESPONSE_INVALID'
  | 'DATABASE_UNREACHABLE';

/**
 * A panel problem code the CLI does not know comes from a newer panel; the
 * panel's own code travels in the message instead of being dropped.
 */
export type CliErrorCode = LocalErrorCode | HttpErrorCode | 'PANEL_PROBLEM_UNKNOWN';

/**
 * Exit status 1 means "could not get an answer" (network, TLS, database down):
 * retrying may help. Everything else is a refusal (2): the command or the
 * credential must change first.
 */
const UNREACHABLE: ReadonlySet<CliErrorCode> = new Set([
  'PANEL_UNREACHABLE',
  'PANEL_UNTRUSTED',
  'PANEL_RESPONSE_INVALID',
  'DATABASE_UNREACHABLE',
]);

export class CliError extends PalisadeError<CliErrorCode> {
  get exitCode(): 1 | 2 {
    return UNREACHABLE.has(this.code) ? 1 : 2;
  }
}

export function usageError(message: string, command: string): CliError {
  return new CliError('USAGE', `${message} (see 'palisade ${command} --help')`);
}
