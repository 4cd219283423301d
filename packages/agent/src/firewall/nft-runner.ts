import { spawn } from 'node:child_process';
import { FirewallError } from './firewall-error.ts';

/** What one nft call printed; a non-zero exit is an answer (nft refused), not a failure to run. */
export interface NftResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs nft with `args`, feeding `stdin` when given. Rejects with
 * FIREWALL_COMMAND_FAILED only when nft could not run to completion (not
 * installed, timed out, killed, output too large). Injectable so tests can run
 * nft inside a network namespace or stand in for it.
 */
export type NftRunner = (args: readonly string[], stdin?: string) => Promise<NftResult>;

export interface NftRunnerOptions {
  /** The nft binary; default `nft` from PATH. */
  readonly nftPath?: string;
  /** Words run before nft, e.g. `['ip', 'netns', 'exec', 'ns1']` in tests. */
  readonly prefix?: readonly string[];
  /** Per call; nft answers in milliseconds, a hung one must not hold the agent. Default 15 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** A listing of our table is a few hundred KiB at most (256 rules × 256 addresses). */
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export function createNftRunner(options: NftRunnerOptions = {}): NftRunner {
  const nft = options.nftPath ?? 'nft';
  const [command = nft, ...prefixArgs] = options.prefix ?? [];
  const leading = options.prefix === undefined || options.prefix.length === 0 ? [] : [...prefixArgs, nft];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return (args, stdin) =>
    new Promise<NftResult>((resolve, reject) => {
      const child = spawn(command, [...leading, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        // nft's messages and JSON must not depend on the agent's locale.
        env: { ...process.env, LC_ALL: 'C' },
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let size = 0;
      let failure: string | undefined;
      const fail = (reason: string) => {
        failure ??= reason;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OUTPUT_BYTES) fail(`printed more than ${MAX_OUTPUT_BYTES} bytes`);
        else into.push(chunk);
      };
      child.stdout.on('data', collect(stdout));
      child.stderr.on('data', collect(stderr));
      // nft may exit (e.g. on a bad option) before reading its input; EPIPE is then not the story.
      child.stdin.on('error', () => undefined);
      child.on('error', (error: NodeJS.ErrnoException) => {
        failure ??=
          error.code === 'ENOENT' ? `${command} is not installed` : `could not start (${error.code})`;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (failure !== undefined || code === null) {
          reject(
            new FirewallError(
              'FIREWALL_COMMAND_FAILED',
              `nft ${args.join(' ')}: ${failure ?? `killed by ${signal}`}`,
            ),
          );
          return;
        }
        resolve({
          exitCode: code,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
      });
      child.stdin.end(stdin ?? '');
    });
}

/** nft's complaint for an error message: tabs as spaces, other control characters dropped, trimmed, bounded. */
export function nftComplaint(stderr: string): string {
  const printable = Array.from(stderr, (character) => {
    if (character === '\n') return character;
    if (character === '\t') return ' ';
    const code = character.codePointAt(0) ?? 0;
    return code < 0x20 || code === 0x7f ? '' : character;
  }).join('');
  const trimmed = printable.replace(/ +$/gm, '').trim();
  return trimmed.length > 4000 ? `${trimmed.slice(0, 4000)}…` : trimmed;
}
