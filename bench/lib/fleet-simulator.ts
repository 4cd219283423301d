import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ownChild } from './owned-children.ts';
import { REPO_ROOT } from './panel-process.ts';

const CLI_MAIN = `${REPO_ROOT}/packages/cli/src/main.ts`;

/** The counters of `palisade simulate` (FleetSummary in packages/agent/src/simulator/fleet.ts). */
export interface FleetCounters {
  readonly elapsedSeconds: number;
  readonly phase: string;
  readonly enrolled: number;
  readonly devices: number;
  readonly enrollFailures: number;
  readonly connected: number;
  readonly checkIns: number;
  readonly checkInFailures: number;
  readonly eventsDelivered: number;
  readonly eventsQueued: number;
  readonly deliveryFailures: number;
  readonly pushes: number;
  readonly policiesApplied: number;
  readonly policyFailures: number;
}

// `[12s enrolling] enrolled 40/200 (failed 0) · connected 38 · check-ins 40 (failed 0) · events 0/0 delivered (failed batches 0) · pushes 38 · policies 0 (failed 0)`
const LIVE_LINE =
  /^\[(\d+)s (\w+)\] enrolled (\d+)\/(\d+) \(failed (\d+)\) · connected (-?\d+) · check-ins (\d+) \(failed (\d+)\) · events (\d+)\/(\d+) delivered \(failed batches (\d+)\) · pushes (\d+) · policies (\d+) \(failed (\d+)\)$/;

/** One live summary line of `palisade simulate` on stderr, or undefined for any other line (its warnings). */
export function parseFleetLine(line: string): FleetCounters | undefined {
  const m = LIVE_LINE.exec(line.trim());
  if (!m) return undefined;
  const n = (i: number) => Number(m[i]);
  return {
    elapsedSeconds: n(1),
    phase: m[2] as string,
    enrolled: n(3),
    devices: n(4),
    enrollFailures: n(5),
    connected: n(6),
    checkIns: n(7),
    checkInFailures: n(8),
    eventsDelivered: n(9),
    eventsQueued: n(10),
    deliveryFailures: n(11),
    pushes: n(12),
    policiesApplied: n(13),
    policyFailures: n(14),
  };
}

export interface FleetSimulatorOptions {
  readonly operatorUrl: string;
  /** PEM file of the panel's root CA (PALISADE_CA_FILE). */
  readonly caFile: string;
  /** An operator token (PALISADE_TOKEN) that may register devices and make enrollment tokens. */
  readonly token: string;
  /** `--device-url`, repeated; the simulator fails over in order. */
  readonly deviceUrls: readonly string[];
  readonly devices: number;
  readonly prefix: string;
  readonly eventsPerMinute: number;
  readonly enrollConcurrency: number;
  /** Where the simulator's stderr (live lines, warnings) goes. */
  readonly logPath: string;
  /** V8 old-space limit of the simulator process, for large fleets. */
  readonly maxOldSpaceMiB?: number;
}

export interface FleetSimulator {
  readonly pid: number;
  /** The latest live summary line (every 2 s), if any yet. */
  latest(): FleetCounters | undefined;
  /** Resolves with the first live line that satisfies `done`; rejects if the simulator exits or time runs out. */
  waitFor(
    done: (counters: FleetCounters) => boolean,
    options: { readonly timeoutMs: number; readonly onLine?: (counters: FleetCounters) => void },
  ): Promise<FleetCounters>;
  /** SIGTERM (the simulator's graceful stop) and its final summary, the `--json` document on stdout. */
  stop(): Promise<FleetCounters>;
  /** The soft limit on open files the simulator runs with (`Max open files` of /proc/<pid>/limits). */
  openFilesLimit(): number | undefined;
}

/** The soft `Max open files` of a running process, from /proc/<pid>/limits. */
export function openFilesLimit(pid: number): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `palisade simulate --json` as its own process, logged in through
 * PALISADE_PANEL / PALISADE_TOKEN / PALISADE_CA_FILE, with the soft limit
 * on open files raised to the hard limit (each device holds a push channel
 * and, between check-ins, a kept-alive HTTPS connection).
 */
export function startFleetSimulator(options: FleetSimulatorOptions): FleetSimulator {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PALISADE_')),
  );
  env.PALISADE_PANEL = options.operatorUrl;
  env.PALISADE_TOKEN = options.token;
  env.PALISADE_CA_FILE = options.caFile;
  const args = [
    ...(options.maxOldSpaceMiB === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMiB}`]),
    CLI_MAIN,
    'simulate',
    '--devices',
    String(options.devices),
    ...options.deviceUrls.flatMap((url) => ['--device-url', url]),
    '--prefix',
    options.prefix,
    '--events-per-minute',
    String(options.eventsPerMinute),
    '--enroll-concurrency',
    String(options.enrollConcurrency),
    '--json',
  ];
  const err = openSync(options.logPath, 'w');
  // `ulimit -n` up to the hard limit (raising it further needs CAP_SYS_RESOURCE), then exec: the pid is node's.
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', process.execPath, ...args],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  ownChild(child);
  const stdout: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  let last: FleetCounters | undefined;
  let closed = false;
  const listeners = new Set<() => void>();
  const lines = createInterface({ input: child.stderr as NonNullable<ChildProcess['stderr']> });
  lines.on('line', (line) => {
    // Written synchronously so that the log holds every line even if the benchmark dies.
    if (!closed) writeSync(err, `${line}\n`);
    const parsed = parseFleetLine(line);
    if (parsed) {
      last = parsed;
      for (const wake of listeners) wake();
    }
  });
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      for (const wake of listeners) wake();
      resolve(code);
    });
  });
  void exit.then(() => {
    lines.close();
    closed = true;
    closeSync(err);
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  return {
    pid: child.pid as number,
    latest: () => last,
    openFilesLimit: () => openFilesLimit(child.pid as number),
    async waitFor(done, waitOptions) {
      const deadline = performance.now() + waitOptions.timeoutMs;
      let seen = last;
      for (;;) {
        if (last && last !== seen) {
          seen = last;
          waitOptions.onLine?.(last);
        }
        if (last && done(last)) return last;
        if (exited())
          throw new Error(`the simulator exited (code ${child.exitCode}); log: ${options.logPath}`);
        const remaining = deadline - performance.now();
        if (remaining <= 0)
          throw new Error(
            `the simulator did not get there within ${waitOptions.timeoutMs / 1000} s; last: ${JSON.stringify(last)}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(remaining, 5_000));
          const wake = () => {
            clearTimeout(timer);
            listeners.delete(wake);
            resolve();
          };
          listeners.add(wake);
        });
      }
    },
    async stop() {
      if (!exited()) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(killer);
      const text = Buffer.concat(stdout).toString('utf8');
      let summary: Record<string, unknown>;
      try {
        summary = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`the simulator printed no summary (exit ${child.exitCode}); log: ${options.logPath}`);
      }
      const n = (key: string) => Number(summary[key] ?? 0);
      return {
        elapsedSeconds: n('elapsedMs') / 1000,
        phase: String(summary.phase),
        enrolled: n('enrolled'),
        devices: n('devices'),
        enrollFailures: n('enrollFailures'),
        connected: n('connected'),
        checkIns: n('checkIns'),
        checkInFailures: n('checkInFailures'),
        eventsDelivered: n('eventsDelivered'),
        eventsQueued: n('eventsQueued'),
        deliveryFailures: n('deliveryFailures'),
        pushes: n('pushes'),
        policiesApplied: n('policiesApplied'),
        policyFailures: n('policyFailures'),
      };
    },
  };
}
