import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type DriverCommand, type DriverEvent, waitForAgentOnline } from './agent-driver.ts';
import { ownChild } from './owned-children.ts';
import { REPO_ROOT } from './panel-process.ts';

const DRIVER = join(import.meta.dirname, 'agent-driver.ts');

export interface AgentDriverProcess {
  readonly pid: number;
  /** Sends one command (a JSON line on the driver's stdin). */
  send(command: DriverCommand): void;
  /** Waits for the driver's next event of that kind (skipping others); throws on its `error` or exit. */
  next<E extends DriverEvent['event']>(event: E): Promise<Extract<DriverEvent, { event: E }>>;
  /** `{"stop":true}`, closes stdin, and answers the driver's exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts bench/lib/agent-driver.ts (an `Agent` from @palisade/agent, in its
 * own process, logs to `logPath`) on `configPath` written by
 * `prepareBenchAgent`, without the caller's PALISADE_* settings, and waits
 * until the agent is online with its start-up inventory stored; on failure
 * the error carries the end of the agent's log.
 */
export async function startAgentDriver(options: {
  readonly configPath: string;
  readonly logPath: string;
  readonly operatorUrl: string;
  readonly rootCaPem: string;
  readonly adminToken: string;
  readonly deviceId: string;
  readonly onlineTimeoutMs?: number;
}): Promise<AgentDriverProcess> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PALISADE_')),
  );
  const log = openSync(options.logPath, 'w');
  const child = spawn(process.execPath, [DRIVER, options.configPath], {
    cwd: REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', log],
  });
  closeSync(log);
  ownChild(child);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = driverEvents(child);
  const stdin = child.stdin;
  if (!stdin) throw new Error('the agent driver has no stdin');
  const send = (command: DriverCommand) => {
    stdin.write(`${JSON.stringify(command)}\n`);
  };
  try {
    await next('ready');
    await waitForAgentOnline({
      operatorUrl: options.operatorUrl,
      rootCaPem: options.rootCaPem,
      adminToken: options.adminToken,
      deviceId: options.deviceId,
      timeoutMs: options.onlineTimeoutMs ?? 60_000,
      giveUp: () => (child.exitCode === null ? undefined : `the driver exited (code ${child.exitCode})`),
    });
  } catch (error) {
    const text = await readFile(options.logPath, 'utf8').catch(() => '');
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\nagent log:\n${text.split('\n').slice(-15).join('\n')}`);
  }
  return {
    pid: child.pid as number,
    send,
    next,
    async stop() {
      send({ stop: true });
      stdin.end();
      return exit;
    },
  };
}

/** The driver's stdout as a stream of events; the function waits for the next one that matches. */
function driverEvents(child: ChildProcess) {
  const queue: DriverEvent[] = [];
  let wake: (() => void) | undefined;
  const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  lines.on('line', (line) => {
    try {
      queue.push(JSON.parse(line) as DriverEvent);
    } catch {
      queue.push({ event: 'error', message: `unparsable driver output: ${line}` });
    }
    wake?.();
  });
  child.once('exit', () => wake?.());
  return async <E extends DriverEvent['event']>(event: E): Promise<Extract<DriverEvent, { event: E }>> => {
    for (;;) {
      const found = queue.shift();
      if (found?.event === event) return found as Extract<DriverEvent, { event: E }>;
      if (found?.event === 'error') throw new Error(`the agent driver failed: ${found.message}`);
      if (found) continue;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the agent driver exited (code ${child.exitCode}) while we waited for "${event}"`);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  };
}
