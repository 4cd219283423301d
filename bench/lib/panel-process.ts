import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { waitForLogLine } from './log-follower.ts';
import { ownChild } from './owned-children.ts';
import { waitForHttpsOk } from './readiness.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI_MAIN = join(REPO_ROOT, 'packages/cli/src/main.ts');

export interface PanelSecrets {
  /** PALISADE_KEY_PASSPHRASE (≥ 16 characters). */
  readonly keyPassphrase: string;
  /** PALISADE_BOOTSTRAP_ADMIN_PASSWORD for the `admin` account. */
  readonly adminPassword: string;
}

/** Fresh random secrets that satisfy the panel's policies (the password cannot contain "admin": hex has no m, i, n). */
export function benchSecrets(): PanelSecrets {
  return {
    keyPassphrase: `bench-key-${randomBytes(16).toString('hex')}`,
    adminPassword: `Bench-${randomBytes(12).toString('hex')}`,
  };
}

export interface StartPanelProcessOptions {
  readonly dataDir: string;
  readonly secrets: PanelSecrets;
  /** Where the process's stdout (JSON log) and stderr go: `<logPrefix>.out.log` / `.err.log`. */
  readonly logPrefix: string;
  readonly logLevel?: string;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** PostgreSQL instead of the embedded PGlite (`--database-url`); see bench/lib/bench-database.ts. */
  readonly databaseUrl?: string;
  /** Further `palisade server` flags, e.g. `['--heartbeat', '30']`; the settings above come first. */
  readonly serverArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface PanelStop {
  /** From SIGTERM to the process's exit. */
  readonly exitMs: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface PanelProcess extends AsyncDisposable {
  readonly pid: number;
  /** `https://127.0.0.1:<port>`: the listener binds 127.0.0.1 only, so no name lookup or IPv6 attempt. */
  readonly operatorUrl: string;
  /** `https://127.0.0.1:<port>`: the device listener (mutual TLS, EST). */
  readonly deviceUrl: string;
  /**
   * `http://127.0.0.1:<port>`: the plain-HTTP listener (CRL, OCSP), when the
   * "panel ready" line names it (`httpUrl`); older panels do not, and then
   * the AIA OCSP URL of an issued certificate is the way to find it.
   */
  readonly httpUrl: string | undefined;
  /** Which database the panel reported in its "panel ready" line. */
  readonly database: string;
  /** The panel's root CA, which the operator listener's certificate chains to. */
  readonly rootCaPem: string;
  /** From spawn to the first 200 from `GET /readyz`. */
  readonly readyMs: number;
  readonly stdoutPath: string;
  /** SIGTERM, then wait for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<PanelStop>;
}

async function tail(path: string, lines = 15): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Starts `palisade server` as its own process on 127.0.0.1 with ephemeral
 * ports, exactly as an operator would, and resolves once `/readyz` answers
 * 200. The readiness clock starts just before `spawn()`.
 */
export async function startPanelProcess(options: StartPanelProcessOptions): Promise<PanelProcess> {
  const stdoutPath = `${options.logPrefix}.out.log`;
  const stderrPath = `${options.logPrefix}.err.log`;
  const out = openSync(stdoutPath, 'w');
  const err = openSync(stderrPath, 'w');
  // Hermetic: no PALISADE_* setting (nor a DATABASE_URL, which the panel would read) of the
  // caller's shell leaks into the measured panel; the database is chosen by `databaseUrl` alone.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PALISADE_') && key !== 'DATABASE_URL'),
  );
  env.PALISADE_KEY_PASSPHRASE = options.secrets.keyPassphrase;
  env.PALISADE_BOOTSTRAP_ADMIN_PASSWORD = options.secrets.adminPassword;
  const args = [
    ...(options.nodeArgs ?? []),
    CLI_MAIN,
    'server',
    '--data-dir',
    options.dataDir,
    '--operator-port',
    '0',
    '--device-port',
    '0',
    '--http-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--log-level',
    options.logLevel ?? 'info',
    ...(options.databaseUrl === undefined ? [] : ['--database-url', options.databaseUrl]),
    ...(options.serverArgs ?? []),
  ];

  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  ownChild(child);
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.once('error', (error) => {
      spawnError = error;
      resolveExit();
    });
  });
  const giveUp = () => {
    if (spawnError) return `could not start the panel: ${spawnError.message}`;
    return exited(child)
      ? `the panel exited (code ${child.exitCode}, signal ${child.signalCode})`
      : undefined;
  };

  let operatorUrl: string;
  let deviceUrl: string;
  let httpUrl: string | undefined;
  let database: string;
  let rootCaPem: string;
  let readyMs: number;
  try {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const line = await waitForLogLine(stdoutPath, (l) => l.msg === 'panel ready', { timeoutMs, giveUp });
    const announced = new URL(String(line.operatorUrl));
    operatorUrl = `https://127.0.0.1:${announced.port}`;
    deviceUrl = `https://127.0.0.1:${new URL(String(line.deviceUrl)).port}`;
    httpUrl = typeof line.httpUrl === 'string' ? `http://127.0.0.1:${new URL(line.httpUrl).port}` : undefined;
    database = String(line.database);
    rootCaPem = readFileSync(String(line.rootCaPath), 'utf8');
    await waitForHttpsOk(`${operatorUrl}/readyz`, {
      ca: rootCaPem,
      timeoutMs: Math.max(1, timeoutMs - (performance.now() - started)),
      giveUp,
    });
    readyMs = performance.now() - started;
  } catch (error) {
    if (!exited(child) && !spawnError) child.kill('SIGKILL');
    await exit;
    const logs = `stdout:\n${await tail(stdoutPath)}\nstderr:\n${await tail(stderrPath)}`;
    throw new Error(`panel did not become ready: ${(error as Error).message}\n${logs}`);
  }

  let stopping: Promise<PanelStop> | undefined;
  const stop = (timeoutMs = 15_000): Promise<PanelStop> => {
    stopping ??= (async () => {
      const sent = performance.now();
      if (!exited(child)) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exit;
      clearTimeout(killer);
      return { exitMs: performance.now() - sent, code: child.exitCode, signal: child.signalCode };
    })();
    return stopping;
  };

  return {
    pid: child.pid as number,
    operatorUrl,
    deviceUrl,
    httpUrl,
    database,
    rootCaPem,
    readyMs,
    stdoutPath,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** Stops the panel and insists on a clean exit: a failed graceful shutdown invalidates the run. */
export async function stopPanelCleanly(panel: PanelProcess): Promise<PanelStop> {
  const stopped = await panel.stop();
  if (stopped.code !== 0) {
    throw new Error(
      `panel did not shut down cleanly (code ${stopped.code}, signal ${stopped.signal}); log: ${panel.stdoutPath}\n${await tail(panel.stdoutPath)}`,
    );
  }
  return stopped;
}
