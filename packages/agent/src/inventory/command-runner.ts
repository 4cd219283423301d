import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { reasonOf } from './fact.ts';

/**
 * Runs a program (no shell) and resolves with its standard output; rejects as
 * `execFile` does (`code: 'ENOENT'` when the program is not installed, a
 * numeric `code` for its exit status, `killed` on timeout). Injectable so
 * tests can stand in for lsblk and dmsetup.
 */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<{ readonly stdout: string }>;

const execFileAsync = promisify(execFile);

/** lsblk and dmsetup answer in milliseconds; a hung one (stuck device) must not hold the inventory. */
export const COMMAND_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export const execFileRunner: CommandRunner = async (file, args) => {
  const { stdout } = await execFileAsync(file, [...args], {
    timeout: COMMAND_TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT_BYTES,
    encoding: 'utf8',
    // Machine-readable output must not depend on the agent's locale.
    env: { ...process.env, LC_ALL: 'C' },
    windowsHide: true,
  });
  return { stdout };
};

/** A short, secret-free reason for a failed command: `lsblk not installed`, `dmsetup exited with status 1: …`. */
export function commandFailureReason(file: string, error: unknown): string {
  const e = (error ?? {}) as { code?: unknown; killed?: unknown; signal?: unknown; stderr?: unknown };
  if (e.code === 'ENOENT') return `${file} not installed`;
  if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
    return `${file} output larger than ${MAX_OUTPUT_BYTES} bytes`;
  if (e.killed === true || typeof e.signal === 'string') return `${file} timed out or was killed`;
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n')[0]?.slice(0, 160) : undefined;
  const detail = stderr ? `: ${stderr}` : '';
  if (typeof e.code === 'number') return `${file} exited with status ${e.code}${detail}`;
  if (typeof e.code === 'string') return `${file} failed (${e.code})${detail}`;
  return `${file} failed: ${reasonOf(error)}`;
}
