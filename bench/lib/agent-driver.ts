/**
 * The agent side of the agent benchmarks (`agent-idle`, `outbox-delivery`).
 *
 * Imported: set-up helpers that register a device with a panel started by
 * bench/lib/panel-process.ts, give it a one-time enrollment token and write
 * an agent configuration for it (software root of trust, as in
 * test/e2e/agent-lifecycle.test.ts), and wait until the agent is online.
 *
 * Run as a script, it is the outbox driver:
 *
 *   node bench/lib/agent-driver.ts <agent.yaml>
 *
 * runs an `Agent` from @palisade/agent with that configuration (logs on
 * stderr), and takes one JSON command per line on stdin:
 *
 *   {"run":{"label":"measured","events":50000,"concurrency":256}}
 *   {"stop":true}
 *
 * For a run it waits until the outbox is empty (the start-up records are
 * delivered), then calls `agent.report()` `events` times with at most
 * `concurrency` in flight, and prints JSON lines on stdout:
 * `{"event":"run-started",…}` just before the first append and
 * `{"event":"run-done",…}` once every report of the run is acknowledged
 * by the panel, i.e. committed to its database (the ingest acknowledges a
 * batch only after its transaction commits).
 *
 *   {"pace":{"label":"latency","ratePerSec":5000,"seconds":35,"markerEvery":100}}
 *
 * reports at a steady rate instead (`event-alert-latency`): every 5 ms the
 * reports due by then, without waiting for earlier ones, the kinds and
 * bodies of bench/lib/security-event-mix.ts, except that every
 * `markerEvery`-th is a `process.exec` whose body carries
 * `marker: "latency"` and `createdAtMs` (epochMs() just before
 * `agent.report()`). `{"event":"pace-started",…}` before the first report,
 * `{"event":"pace-done",…}` once all are acknowledged.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callJson } from './https-json.ts';

/** What every benchmark event looks like: a process execution seen on the endpoint (~170 bytes of JSON). */
export const EVENT_KIND = 'process.exec';
export const EVENT_SEVERITY = 3;

export function eventBody(seq: number): { [key: string]: string | number | string[] } {
  return {
    seq,
    path: '/usr/bin/curl',
    argv: ['curl', '-fsS', 'https://updates.example.org/manifest.json'],
    pid: 10_000 + (seq % 50_000),
    ppid: 1_234,
    uid: 1000,
    user: 'svc-updater',
    parent: '/usr/bin/bash',
  };
}

export interface BenchAgentFiles {
  /** `agent.yaml` for `palisade agent --config` (JSON, which is YAML). */
  readonly configPath: string;
  readonly stateDir: string;
  /** An operator token of `admin`, for polling the operator API. */
  readonly adminToken: string;
}

/**
 * Logs in as `admin`, registers `deviceId`, makes a one-time enrollment
 * token, and writes the token, the panel's root CA and an agent
 * configuration (software root of trust, the given log level, defaults
 * otherwise) under `dir`.
 */
export async function prepareBenchAgent(options: {
  readonly operatorUrl: string;
  readonly deviceUrl: string;
  readonly rootCaPem: string;
  readonly adminPassword: string;
  readonly deviceId: string;
  readonly dir: string;
  readonly logLevel?: string;
}): Promise<BenchAgentFiles> {
  const ca = options.rootCaPem;
  const api = (path: string) => `${options.operatorUrl}${path}`;
  const adminToken = (
    await callJson<{ token: string }>(api('/v1/auth/login'), {
      body: { username: 'admin', password: options.adminPassword, mode: 'token' },
      ca,
    })
  ).json.token;
  await callJson(api('/v1/devices'), { body: { id: options.deviceId }, bearer: adminToken, ca });
  const { token } = (
    await callJson<{ token: string }>(api(`/v1/devices/${options.deviceId}/enrollment-token`), {
      body: {},
      bearer: adminToken,
      ca,
    })
  ).json;
  const tokenPath = join(options.dir, 'enrollment-token');
  const caPath = join(options.dir, 'panel-root-ca.pem');
  const stateDir = join(options.dir, 'agent-state');
  const configPath = join(options.dir, 'agent.yaml');
  await writeFile(tokenPath, token, { mode: 0o600 });
  await writeFile(caPath, ca);
  const config = {
    deviceId: options.deviceId,
    stateDir,
    panel: { urls: [options.deviceUrl], caFile: caPath },
    enrollment: { tokenFile: tokenPath },
    rootOfTrust: { kind: 'software' },
    logLevel: options.logLevel ?? 'info',
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, stateDir, adminToken };
}

/**
 * Polls the operator API until the device is online with its push channel
 * open (`GET /v1/devices/<id>/presence`: online, channelConnections 1) and
 * its start-up inventory is stored (`GET /v1/devices/<id>/inventory`).
 */
export async function waitForAgentOnline(options: {
  readonly operatorUrl: string;
  readonly rootCaPem: string;
  readonly adminToken: string;
  readonly deviceId: string;
  readonly timeoutMs: number;
  readonly giveUp?: () => string | undefined;
}): Promise<void> {
  const call = <T>(path: string) =>
    callJson<T>(`${options.operatorUrl}/v1/devices/${options.deviceId}${path}`, {
      bearer: options.adminToken,
      ca: options.rootCaPem,
    });
  const deadline = performance.now() + options.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    const reason = options.giveUp?.();
    if (reason !== undefined) throw new Error(`gave up waiting for the agent: ${reason}`);
    const presence = (await call<{ online: boolean; channelConnections: number }>('/presence')).json;
    if (presence.online && presence.channelConnections === 1) {
      const { inventory } = (await call<{ inventory: unknown }>('/inventory')).json;
      if (inventory !== null && inventory !== undefined) return;
      last = 'online, channel open, no inventory yet';
    } else {
      last = `online ${presence.online}, channelConnections ${presence.channelConnections}`;
    }
    if (performance.now() >= deadline)
      throw new Error(`agent ${options.deviceId} not ready after ${options.timeoutMs} ms (${last})`);
    await sleep(250);
  }
}

/** A driver command, one JSON document per line on stdin. */
export type DriverCommand =
  | { readonly run: { readonly label: string; readonly events: number; readonly concurrency: number } }
  | {
      readonly pace: {
        readonly label: string;
        readonly ratePerSec: number;
        readonly seconds: number;
        readonly markerEvery: number;
      };
    }
  | { readonly stop: true };

/** What the driver prints, one JSON document per line on stdout. */
export type DriverEvent =
  | { readonly event: 'ready' }
  | { readonly event: 'run-started'; readonly label: string }
  | {
      readonly event: 'run-done';
      readonly label: string;
      readonly events: number;
      /** First append → last append durable (fsync'd). */
      readonly appendSeconds: number;
      /** First append → last record acknowledged by the panel. */
      readonly deliveredSeconds: number;
      /** CPU time of the driver process (agent included) over the run. */
      readonly cpuSeconds: number;
      readonly failedAppends: number;
    }
  | { readonly event: 'pace-started'; readonly label: string; readonly startedAtMs: number }
  | {
      readonly event: 'pace-done';
      readonly label: string;
      readonly events: number;
      readonly markers: number;
      /** First report → last report appended (the rate actually offered is events ÷ this). */
      readonly appendSeconds: number;
      /** First report → last record acknowledged by the panel. */
      readonly deliveredSeconds: number;
      readonly cpuSeconds: number;
      readonly failedAppends: number;
      /** Reports not yet appended when the next ones fell due, at most (how far appends lagged the pace). */
      readonly maxBacklog: number;
    }
  | { readonly event: 'error'; readonly message: string };

/** The marker a latency benchmark's rule matches on (`fields.marker`). */
export const LATENCY_MARKER = 'latency';

async function runDriver(configPath: string): Promise<void> {
  const { createInterface } = await import('node:readline');
  const { Agent, createAgentLogger, loadAgentConfig } = await import('@palisade/agent');
  const emit = (event: DriverEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const config = await loadAgentConfig(configPath);
  const agent = Agent.start({
    config,
    logger: createAgentLogger(config.logLevel, process.stderr),
    version: '0.1.0-bench',
  });
  let seq = 0;

  const outboxIdle = async (acknowledgedAtLeast: number) => {
    for (;;) {
      const stats = agent.outbox?.stats();
      if (stats && stats.pendingRecords === 0 && stats.acknowledgedRecords >= acknowledgedAtLeast) return;
      await sleep(2);
    }
  };

  const run = async (label: string, events: number, concurrency: number) => {
    while (!agent.outbox) await sleep(10);
    await outboxIdle(0);
    const outbox = agent.outbox;
    const base = outbox.stats().acknowledgedRecords;
    let failedAppends = 0;
    let next = 0;
    emit({ event: 'run-started', label });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(concurrency, events) }, async () => {
        while (next < events) {
          next += 1;
          seq += 1;
          await agent.report(EVENT_KIND, EVENT_SEVERITY, eventBody(seq)).catch(() => {
            failedAppends += 1;
          });
        }
      }),
    );
    const appendSeconds = (performance.now() - started) / 1000;
    await outboxIdle(base + events - failedAppends);
    const deliveredSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    emit({
      event: 'run-done',
      label,
      events,
      appendSeconds,
      deliveredSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      failedAppends,
    });
  };

  const pace = async (label: string, ratePerSec: number, seconds: number, markerEvery: number) => {
    const { mixedReport } = await import('./security-event-mix.ts');
    const { epochMs } = await import('./line-tail.ts');
    while (!agent.outbox) await sleep(10);
    await outboxIdle(0);
    const base = agent.outbox.stats().acknowledgedRecords;
    const events = Math.round(ratePerSec * seconds);
    let sent = 0;
    let appended = 0;
    let markers = 0;
    let failedAppends = 0;
    let maxBacklog = 0;
    let allAppended: (() => void) | undefined;
    const done = () => {
      appended += 1;
      if (appended === events) allAppended?.();
    };
    emit({ event: 'pace-started', label, startedAtMs: epochMs() });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    while (sent < events) {
      const due = Math.min(events, Math.floor(((performance.now() - started) / 1000) * ratePerSec));
      maxBacklog = Math.max(maxBacklog, sent - appended);
      for (; sent < due; sent++) {
        seq += 1;
        const marker = (sent + 1) % markerEvery === 0;
        if (marker) markers += 1;
        const record = marker
          ? {
              kind: EVENT_KIND,
              severity: EVENT_SEVERITY,
              body: { ...eventBody(seq), marker: LATENCY_MARKER, createdAtMs: epochMs() },
            }
          : mixedReport(seq, 0);
        agent
          .report(record.kind, record.severity, record.body)
          .catch(() => {
            failedAppends += 1;
          })
          .finally(done);
      }
      await sleep(5);
    }
    if (appended < events)
      await new Promise<void>((resolve) => {
        allAppended = resolve;
      });
    const appendSeconds = (performance.now() - started) / 1000;
    await outboxIdle(base + events - failedAppends);
    const deliveredSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    emit({
      event: 'pace-done',
      label,
      events,
      markers,
      appendSeconds,
      deliveredSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      failedAppends,
      maxBacklog,
    });
  };

  emit({ event: 'ready' });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const command = JSON.parse(line) as DriverCommand;
    if ('stop' in command) break;
    if ('pace' in command) {
      const { label, ratePerSec, seconds, markerEvery } = command.pace;
      await pace(label, ratePerSec, seconds, markerEvery);
    } else await run(command.run.label, command.run.events, command.run.concurrency);
  }
  lines.close();
  const exit = await agent.stop();
  process.exitCode = exit === 'stopped' ? 0 : 1;
}

if (import.meta.main) {
  const configPath = process.argv[2];
  if (!configPath) {
    process.stderr.write('usage: node bench/lib/agent-driver.ts <agent.yaml>\n');
    process.exit(2);
  }
  runDriver(configPath).catch((error: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ event: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })}\n`,
    );
    process.exit(1);
  });
}
