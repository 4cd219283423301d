/**
 * Shared set-up for the agent end-to-end tests: a real panel in the test
 * process, and the agent as a real `palisade agent` child process, restarted
 * when it exits with 75 the way systemd's Restart= would.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestPanel } from '@palisade/testkit';

export const CLI = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'src', 'main.ts');

/** Polls until `check` holds, so a test waits on what happens, not on a guessed delay. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  diagnostics?: () => string,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for ${what}${diagnostics ? `\n${diagnostics()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The operator API of a test panel as the bootstrap admin; any non-2xx answer fails the test. */
export function operatorApi(t: TestPanel, token: string) {
  return async (method: string, url: string, body?: unknown) => {
    const response = await t.inject(method, url, { token, body });
    assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json();
  };
}

export interface AgentProcess {
  /** Everything the agent logged so far (pino JSON lines). */
  readonly output: () => string;
  readonly restarts: () => number;
  readonly exitCodes: readonly (number | null)[];
  stop(): Promise<void>;
}

/** Runs `palisade agent --config <file>`; exit 75 (restart required) starts it again at once. */
export function startAgentProcess(configPath: string, env: NodeJS.ProcessEnv = process.env): AgentProcess {
  let output = '';
  let restarts = 0;
  let stopping = false;
  let child: ChildProcess;
  const exitCodes: (number | null)[] = [];
  let exited: Promise<void> = Promise.resolve();
  const launch = () => {
    child = spawn(process.execPath, [CLI, 'agent', '--config', configPath], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        exitCodes.push(code);
        if (code === 75 && !stopping) {
          restarts += 1;
          launch();
        }
        resolve();
      }),
    );
  };
  launch();
  return {
    output: () => output,
    restarts: () => restarts,
    exitCodes,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Registers a device, writes its one-time token and an agent configuration (JSON is YAML) into `dir`. */
export async function provisionAgent(
  t: TestPanel,
  api: ReturnType<typeof operatorApi>,
  dir: string,
  deviceId: string,
  rootOfTrust: Record<string, unknown>,
  options: { readonly group?: string } = {},
): Promise<string> {
  await api('POST', '/v1/devices', { id: deviceId, ...(options.group ? { group: options.group } : {}) });
  const { token } = await api('POST', `/v1/devices/${deviceId}/enrollment-token`, {});
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const configPath = join(dir, 'agent.yaml');
  await writeFile(
    configPath,
    JSON.stringify({
      deviceId,
      stateDir: join(dir, 'state'),
      panel: { urls: [t.panel.facts.deviceUrl], caFile: t.panel.facts.rootCaPath, serverName: 'localhost' },
      enrollment: { tokenFile },
      rootOfTrust,
      logLevel: 'debug',
    }),
  );
  return configPath;
}
