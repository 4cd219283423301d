import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from './cli-io.ts';
import { runCli } from './run-cli.ts';

/**
 * Test support: runs `palisade` in process with a fake CliIo, a private HOME
 * and XDG_CONFIG_HOME, and nothing of the real environment (no DATABASE_URL,
 * no PALISADE_TOKEN leaking in from the shell running the tests).
 */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface RunOptions {
  /** What --password-stdin reads. */
  readonly stdin?: string;
  /** Answers to terminal prompts; without it standard input is not a terminal. */
  readonly prompts?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface CliSandbox extends AsyncDisposable {
  readonly home: string;
  readonly sessionFile: string;
  readonly env: Readonly<Record<string, string>>;
  run(argv: readonly string[], options?: RunOptions): Promise<CliRun>;
  /** `palisade login` with --password-stdin and --ca-file; fails the test unless it exits 0. */
  login(panel: { operatorUrl: string; rootCaPath: string }, user: string, stdin: string): Promise<CliRun>;
}

export async function cliSandbox(): Promise<CliSandbox> {
  const home = await mkdtemp(join(tmpdir(), 'palisade-cli-'));
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
  const run = async (argv: readonly string[], options: RunOptions = {}): Promise<CliRun> => {
    let out = '';
    let err = '';
    const prompts = options.prompts === undefined ? undefined : [...options.prompts];
    const io: CliIo = {
      env: { ...env, ...options.env },
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      readStdin: async () => options.stdin ?? '',
      promptSecret:
        prompts === undefined
          ? undefined
          : async (prompt) => {
              err += prompt;
              const answer = prompts.shift();
              if (answer === undefined) throw new Error(`unexpected prompt: ${prompt}`);
              return answer;
            },
    };
    const code = await runCli(argv, io);
    return { code, out, err };
  };
  return {
    home,
    env,
    sessionFile: join(home, 'config', 'palisade', 'session.json'),
    run,
    async login(panel, user, stdin) {
      const result = await run(
        [
          'login',
          '--panel',
          panel.operatorUrl,
          '--user',
          user,
          '--password-stdin',
          '--ca-file',
          panel.rootCaPath,
        ],
        { stdin },
      );
      if (result.code !== 0) throw new Error(`login ${user} failed (${result.code}): ${result.err}`);
      return result;
    },
    [Symbol.asyncDispose]: () => rm(home, { recursive: true, force: true }),
  };
}

/** The one-time password a command printed, e.g. `one-time password: Ab3…`. */
export function printedOneTimePassword(out: string): string {
  const match = /one-time password(?: for \S+)?: (\S+)\n/.exec(out);
  if (!match?.[1]) throw new Error(`no one-time password in: ${out}`);
  return match[1];
}
