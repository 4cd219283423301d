import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { usageError } from './cli-error.ts';

/** Every command takes --help; declared once so no command forgets it. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses a command's flags strictly: an unknown or malformed flag is a usage
 * error (exit 2), never silently ignored, so a typo cannot turn
 * `--disable` into a no-op.
 */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
  command: string,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageError((error as Error).message, command);
  }
}

export function requireOption(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value === '') throw usageError(`--${flag} is required`, command);
  return value;
}

/** Splits `palisade operator token create …` into the sub-command name and its flags. */
export function splitSubcommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) return { name: undefined, rest: [...argv] };
  return { name: first, rest };
}
