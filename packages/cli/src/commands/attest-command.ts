import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EVENT_LOG_LIMITS, EventLogError, parseEventLog, replayEventLog } from '@palisade/core';
import { CliError, usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, splitSubcommand } from '../command-args.ts';
import { eventLogJson, eventLogText } from './event-log-report.ts';

const ATTEST_HELP = `Usage: palisade attest <command> [options]

Measured boot, offline (no panel):
  eventlog FILE [--json]
                     parse a binary TCG PC Client event log, e.g. on a device
                     /sys/kernel/security/tpm0/binary_bios_measurements, and print one
                     line per event then the PCR values it implies per bank; --json:
                     the whole parsed log (event data in base64) and the PCR values

Options for every command: -h/--help.
`;

const COMMAND = 'attest';
const READ_CHUNK = 64 * 1024;

/** `palisade attest …`: attestation tooling that needs no panel. */
export async function attestCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitSubcommand(argv);
  if (name === 'eventlog') return eventlogCommand(rest, io);
  if (name !== undefined) throw usageError(`unknown command 'attest ${name}'`, COMMAND);
  const values = parseCommandArgs(rest, { ...HELP_OPTION }, COMMAND);
  io.out(ATTEST_HELP);
  return values.help === true ? 0 : 2;
}

/** Like parseCommandArgs, but the FILE operand is positional. */
function eventlogArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, ...HELP_OPTION },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw usageError((error as Error).message, COMMAND);
  }
}

async function eventlogCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = eventlogArgs(argv);
  if (parsed.values.help === true) {
    io.out(ATTEST_HELP);
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError('eventlog takes exactly one FILE', COMMAND);
  const log = parseEventLog(await readEventLogFile(file));
  const pcrs = replayEventLog(log);
  io.out(parsed.values.json === true ? eventLogJson(log, pcrs) : eventLogText(log, pcrs));
  return 0;
}

/**
 * Reads at most EVENT_LOG_LIMITS.maxLogBytes + 1 bytes, so a huge or endless
 * file is refused without being read whole. The size from stat() is checked
 * first but cannot be relied on: securityfs reports 0 for the event log.
 */
async function readEventLogFile(path: string): Promise<Uint8Array> {
  const limit = EVENT_LOG_LIMITS.maxLogBytes;
  const tooLarge = () => new EventLogError('EVENT_LOG_TOO_LARGE', `${path} is larger than ${limit} bytes`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    if ((await handle.stat()).size > limit) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw tooLarge();
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  } catch (error) {
    if (error instanceof EventLogError) throw error;
    throw unreadable(path, error);
  } finally {
    await handle.close();
  }
}

function unreadable(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
  return new CliError('FILE_UNREADABLE', `cannot read the event log ${path}: ${code}`);
}
