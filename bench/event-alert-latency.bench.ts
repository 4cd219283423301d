/**
 * event-alert-latency: end to end, from an event created on an agent to the
 * syslog line of the alert it triggers written by a real rsyslog — agent
 * outbox, delivery over mutual TLS, ingest, detection rule, alert.raised,
 * SIEM exporter (syslog over TCP) — at a steady 5,000 events/s, against a
 * plain syslog line written straight to the same rsyslog. See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Agent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatSyslog5424, frameOctetCounting } from '@palisade/core';
import { startRsyslog } from '@palisade/testkit';
import { type BenchAgentFiles, LATENCY_MARKER, prepareBenchAgent } from './lib/agent-driver.ts';
import { startAgentDriver } from './lib/agent-driver-process.ts';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { createRules, DETECTION_RULE_MIX } from './lib/detection-rule-mix.ts';
import { callJson } from './lib/https-json.ts';
import { epochMs, tailLines } from './lib/line-tail.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { inParallel } from './lib/parallel.ts';
import { namedProcessesCpuSeconds, processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { percentile, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'event-alert-latency';
const env = process.env;
const RATE = Number(env.BENCH_LATENCY_RATE ?? 5000);
/** Agents sharing the rate, each its own device and process (one agent delivers one batch at a time). */
const AGENTS = Number(env.BENCH_LATENCY_AGENTS ?? 4);
const WARMUP_SECONDS = Number(env.BENCH_LATENCY_WARMUP_SECONDS ?? 5);
const MEASURE_SECONDS = Number(env.BENCH_LATENCY_SECONDS ?? 60);
/**
 * One event in this many raises an alert: 5 alerts/s at 5,000 events/s, a probe that does not itself
 * load the panel much (each alert costs the detection worker several statements); 100 makes an alert storm.
 */
const MARKER_EVERY = Number(env.BENCH_LATENCY_MARKER_EVERY ?? 1000);
const REFERENCE_LINES = Number(env.BENCH_LATENCY_REFERENCE_LINES ?? 200);
const REFERENCE_RATE = 50;
/** During the paced run, one reference line every this many ms (rsyslog and the tail under the same load). */
const LOADED_REFERENCE_INTERVAL_MS = 100;
/** How long to wait for the last alert lines once every event is acknowledged. */
const SETTLE_TIMEOUT_MS = 30_000;
const TARGET_P99_MS = 1000;
const MARKER_RULE_ID = 'latency-marker';
const REFERENCE_RULE_ID = 'reference-line';
const LOADED_REFERENCE_RULE_ID = 'reference-line-under-load';
/** The marker rule's severity; the exporter sends from it up, and the rule mix stays below. */
const EXPORT_SEVERITY = 9;

const progress = progressReporter(NAME);

/**
 * The marker rule: every `process.exec` carrying `marker: "latency"` fires
 * (suppressSeconds 0: no suppression, no state), so exactly one event in
 * MARKER_EVERY raises an alert.
 */
const MARKER_RULE = {
  id: MARKER_RULE_ID,
  title: 'Latency marker',
  severity: EXPORT_SEVERITY,
  match: {
    all: [
      { field: 'type', op: 'eq', value: 'process.exec' },
      { field: 'fields.marker', op: 'eq', value: LATENCY_MARKER },
    ],
  },
  detect: { kind: 'match' },
  suppressSeconds: 0,
};

interface AlertLine {
  readonly seenAt: number;
  /** The alert.raised event's own time (the panel's clock when the rule fired). */
  readonly raisedAt: number;
}

/** A line shaped like the panel's alert.raised export (RFC 5424, JSON payload), for the reference. */
function referenceLine(ruleId: string): { alertId: string; frame: Uint8Array } {
  const alertId = randomUUID();
  const now = new Date().toISOString();
  const text = formatSyslog5424(
    {
      id: randomUUID(),
      source: 'panel',
      deviceId: 'gw-latency',
      type: 'alert.raised',
      severity: EXPORT_SEVERITY,
      controls: ['SI-2', 'SI-3'],
      message: 'Latency marker (device:gw-latency, 1 events)',
      occurredAt: now,
      receivedAt: now,
      fields: { alertId, ruleId, ruleVersion: 1, subject: 'device:gw-latency', eventCount: 1 },
    },
    {
      hostname: hostname().replace(/[^\x21-\x7e]/g, '') || '-',
      appName: 'palisade',
      facility: 13,
      payload: 'json',
    },
  );
  return { alertId, frame: frameOctetCounting(text) };
}

function writeFrame(socket: Socket, frame: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(frame, (error) => (error ? reject(error) : resolve())),
  );
}

const summary = (samples: readonly number[]) =>
  samples.length === 0
    ? { p50: 0, p90: 0, p99: 0, max: 0 }
    : {
        p50: percentile(samples, 50),
        p90: percentile(samples, 90),
        p99: percentile(samples, 99),
        max: percentile(samples, 100),
      };

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
progress('starting rsyslogd (TCP, octet counting, to a file)');
await using rsyslog = await startRsyslog({ tcp: true });

// Every line rsyslog writes, by rule: the alerts' and the references' arrival times.
const markerLines = new Map<string, AlertLine>();
const referenceSeen = new Map<string, number>();
let duplicateLines = 0;
const tail = await tailLines(rsyslog.file, {
  fromOffset: 0,
  pollMs: 5,
  onLines: (lines, seenAt) => {
    for (const line of lines) {
      const ruleId = /ruleId="([^"]*)"/.exec(line)?.[1];
      const alertId = /alertId="([^"]*)"/.exec(line)?.[1];
      if (ruleId === undefined || alertId === undefined) continue;
      if (ruleId === MARKER_RULE_ID) {
        if (markerLines.has(alertId)) duplicateLines += 1;
        const occurred = /occurred="([^"]*)"/.exec(line)?.[1];
        markerLines.set(alertId, {
          seenAt,
          raisedAt: occurred === undefined ? Number.NaN : Date.parse(occurred),
        });
      } else referenceSeen.set(alertId, seenAt);
    }
  },
});

const secrets = benchSecrets();
const profileDir = env.BENCH_CPU_PROF;
progress(`starting the panel (${database.description})`);
const panel = await startPanelProcess({
  dataDir: join(work.path, 'data'),
  secrets,
  logPrefix: join(work.path, 'panel'),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
  ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
});
await using _panel = panel;
const ca = panel.rootCaPem;
const agentIds = Array.from({ length: AGENTS }, (_, i) => `gw-latency-${i + 1}`);
const agentFiles: BenchAgentFiles[] = [];
for (const deviceId of agentIds) {
  const dir = join(work.path, deviceId);
  await mkdir(dir);
  agentFiles.push(
    await prepareBenchAgent({
      operatorUrl: panel.operatorUrl,
      deviceUrl: panel.deviceUrl,
      rootCaPem: ca,
      adminPassword: secrets.adminPassword,
      deviceId,
      dir,
    }),
  );
}
const adminToken = (agentFiles[0] as BenchAgentFiles).adminToken;
progress(`creating ${DETECTION_RULE_MIX.length} + 1 detection rules and a syslog exporter to rsyslog`);
await createRules({
  operatorUrl: panel.operatorUrl,
  rootCaPem: ca,
  adminToken,
  rules: [...DETECTION_RULE_MIX, MARKER_RULE],
});
await callJson(`${panel.operatorUrl}/v1/siem/exporters`, {
  body: {
    name: 'rsyslog-alerts',
    kind: 'syslog',
    config: { transport: 'tcp', host: '127.0.0.1', port: rsyslog.tcpPort, payload: 'json' },
    minSeverity: EXPORT_SEVERITY,
  },
  bearer: adminToken,
  ca,
  expect: [201],
});

// The reference, with the panel idle: plain lines straight to rsyslog over one TCP connection.
progress(`reference: ${REFERENCE_LINES} syslog lines straight to rsyslog over TCP, ${REFERENCE_RATE}/s`);
const direct = connect({ host: '127.0.0.1', port: rsyslog.tcpPort });
await new Promise<void>((resolve, reject) => direct.once('connect', resolve).once('error', reject));
direct.setNoDelay(true);
const referenceSent = new Map<string, number>();
for (let i = 0; i < REFERENCE_LINES; i++) {
  const { alertId, frame } = referenceLine(REFERENCE_RULE_ID);
  referenceSent.set(alertId, epochMs());
  await writeFrame(direct, frame);
  await sleep(1000 / REFERENCE_RATE);
}
const referenceDeadline = performance.now() + SETTLE_TIMEOUT_MS;
while (
  [...referenceSent.keys()].some((id) => !referenceSeen.has(id)) &&
  performance.now() < referenceDeadline
)
  await sleep(20);
const referenceLatencies = [...referenceSent].flatMap(([id, sentAt]) => {
  const seenAt = referenceSeen.get(id);
  return seenAt === undefined ? [] : [seenAt - sentAt];
});
const reference = summary(referenceLatencies);
progress(
  `reference: p50 ${reference.p50.toFixed(2)} ms, p99 ${reference.p99.toFixed(2)} ms ` +
    `(${referenceLatencies.length}/${REFERENCE_LINES} lines seen)`,
);

progress(`starting ${AGENTS} agents (bench/lib/agent-driver.ts, a process each)`);
const drivers = await Promise.all(
  agentIds.map((deviceId, i) =>
    startAgentDriver({
      configPath: (agentFiles[i] as BenchAgentFiles).configPath,
      logPath: join(work.path, `${deviceId}.log`),
      operatorUrl: panel.operatorUrl,
      rootCaPem: ca,
      adminToken,
      deviceId,
    }),
  ),
);
progress(
  `paced load: ${RATE} events/s from ${AGENTS} agents for ${WARMUP_SECONDS} s warm-up + ${MEASURE_SECONDS} s ` +
    `measured, 1 in ${MARKER_EVERY} a marker that fires ${MARKER_RULE_ID}`,
);
for (const driver of drivers)
  driver.send({
    pace: {
      label: 'latency',
      ratePerSec: RATE / AGENTS,
      seconds: WARMUP_SECONDS + MEASURE_SECONDS,
      markerEvery: MARKER_EVERY,
    },
  });
const startedAtMs = Math.max(
  ...(await Promise.all(drivers.map((d) => d.next('pace-started')))).map((e) => e.startedAtMs),
);
const measureFrom = startedAtMs + WARMUP_SECONDS * 1000;
// The same reference under the load: rsyslog and this tail share the cores with the panel and the agent.
const loadedSent = new Map<string, number>();
let pacing = true;
const loadedReference = (async () => {
  while (pacing) {
    const { alertId, frame } = referenceLine(LOADED_REFERENCE_RULE_ID);
    loadedSent.set(alertId, epochMs());
    await writeFrame(direct, frame);
    await sleep(LOADED_REFERENCE_INTERVAL_MS);
  }
})();
await sleep(WARMUP_SECONDS * 1000);
const agentsCpu = () => drivers.reduce((sum, d) => sum + (processCpuSeconds(d.pid) ?? 0), 0);
const panelCpuBefore = processCpuSeconds(panel.pid) ?? 0;
const driverCpuBefore = agentsCpu();
const rsyslogCpuBefore = namedProcessesCpuSeconds('rsyslogd');
const postgresCpuBefore = database.kind === 'postgres' ? namedProcessesCpuSeconds('postgres') : 0;
const cpuWindowStart = performance.now();
const pacedRuns = await Promise.all(drivers.map((d) => d.next('pace-done')));
const cpuWindow = (performance.now() - cpuWindowStart) / 1000;
const cpuPercent = (seconds: number) => (seconds / cpuWindow) * 100;
const panelCpu = cpuPercent((processCpuSeconds(panel.pid) ?? 0) - panelCpuBefore);
const agentCpu = cpuPercent(agentsCpu() - driverCpuBefore);
const rsyslogCpu = cpuPercent(namedProcessesCpuSeconds('rsyslogd') - rsyslogCpuBefore);
const postgresCpu =
  database.kind === 'postgres'
    ? cpuPercent(namedProcessesCpuSeconds('postgres') - postgresCpuBefore)
    : undefined;
pacing = false;
await loadedReference;
const paced = {
  events: pacedRuns.reduce((sum, p) => sum + p.events, 0),
  markers: pacedRuns.reduce((sum, p) => sum + p.markers, 0),
  failedAppends: pacedRuns.reduce((sum, p) => sum + p.failedAppends, 0),
  maxBacklog: Math.max(...pacedRuns.map((p) => p.maxBacklog)),
  appendSeconds: Math.max(...pacedRuns.map((p) => p.appendSeconds)),
  deliveredSeconds: Math.max(...pacedRuns.map((p) => p.deliveredSeconds)),
};
const offeredPerSec = paced.events / paced.appendSeconds;
progress(
  `paced run done: ${paced.events} events (${Math.round(offeredPerSec)}/s offered), ${paced.markers} markers, ` +
    `${paced.failedAppends} failed appends, all acknowledged after ${paced.deliveredSeconds.toFixed(1)} s`,
);
const settleDeadline = performance.now() + SETTLE_TIMEOUT_MS;
while (markerLines.size < paced.markers && performance.now() < settleDeadline) await sleep(50);
await sleep(200);
const driverCodes = await Promise.all(drivers.map((d) => d.stop()));
if (driverCodes.some((code) => code !== 0))
  throw new Error(`an agent driver did not stop cleanly (codes ${driverCodes.join(', ')})`);

// Each alert's triggering event (its createdAtMs, and when the panel received it), over the operator API.
progress(`fetching the ${markerLines.size} marker alerts' triggering events (GET /v1/alerts/<id>)`);
interface Sample {
  readonly createdAt: number;
  readonly receivedAt: number;
  readonly raisedAt: number;
  readonly seenAt: number;
}
const samples: Sample[] = [];
const keepAlive = new Agent({ keepAlive: true, maxSockets: 8, ca });
await inParallel([...markerLines], 8, async ([alertId, line]) => {
  const alert = (
    await callJson<{ triggeringEvents: { receivedAt: string; fields: { createdAtMs?: number } }[] }>(
      `${panel.operatorUrl}/v1/alerts/${alertId}`,
      { bearer: adminToken, ca, agent: keepAlive },
    )
  ).json;
  const trigger = alert.triggeringEvents[0];
  const createdAt = trigger?.fields.createdAtMs;
  if (trigger === undefined || typeof createdAt !== 'number')
    throw new Error(`alert ${alertId} carries no triggering event with createdAtMs`);
  samples.push({
    createdAt,
    receivedAt: Date.parse(trigger.receivedAt),
    raisedAt: line.raisedAt,
    seenAt: line.seenAt,
  });
});
keepAlive.destroy();
await tail.stop();
direct.end();
await stopPanelCleanly(panel);

const measured = samples.filter((s) => s.createdAt >= measureFrom);
const latencies = measured.map((s) => s.seenAt - s.createdAt);
const e2e = summary(latencies);
const deliver = summary(measured.map((s) => s.receivedAt - s.createdAt));
const detect = summary(measured.map((s) => s.raisedAt - s.receivedAt));
const exportStage = summary(measured.map((s) => s.seenAt - s.raisedAt));
const loadedLatencies = [...loadedSent].flatMap(([id, sentAt]) => {
  const seenAt = referenceSeen.get(id);
  return seenAt === undefined ? [] : [seenAt - sentAt];
});
const loaded = summary(loadedLatencies);
const missing = paced.markers - markerLines.size;
progress(
  `end to end over ${measured.length} measured alerts: p50 ${e2e.p50.toFixed(0)} ms, p99 ${e2e.p99.toFixed(0)} ms, ` +
    `max ${e2e.max.toFixed(0)} ms; ${missing} markers without a line, ${duplicateLines} duplicate lines`,
);
progress(
  `stages p50/p99 ms: agent→panel ${deliver.p50.toFixed(0)}/${deliver.p99.toFixed(0)}, ` +
    `panel→alert ${detect.p50.toFixed(0)}/${detect.p99.toFixed(0)}, alert→rsyslog line ${exportStage.p50.toFixed(0)}/${exportStage.p99.toFixed(0)}; ` +
    `reference under load p50/p99 ${loaded.p50.toFixed(1)}/${loaded.p99.toFixed(1)} ms`,
);

const r = roundFigure;
const pass =
  e2e.p99 < TARGET_P99_MS &&
  measured.length > 0 &&
  missing === 0 &&
  paced.failedAppends === 0 &&
  offeredPerSec >= 0.95 * RATE;
const dbName = database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite';
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    p99Ms: r(e2e.p99),
    p50Ms: r(e2e.p50),
    p90Ms: r(e2e.p90),
    maxMs: r(e2e.max),
    alertsMeasured: measured.length,
    markersSent: paced.markers,
    markerEvery: MARKER_EVERY,
    markersWithoutLine: missing,
    duplicateLines,
    offeredEventsPerSec: r(offeredPerSec),
    eventsSent: paced.events,
    failedAppends: paced.failedAppends,
    agentAppendBacklogMax: paced.maxBacklog,
    agentToPanelP50Ms: r(deliver.p50),
    agentToPanelP99Ms: r(deliver.p99),
    panelToAlertP50Ms: r(detect.p50),
    panelToAlertP99Ms: r(detect.p99),
    alertToLineP50Ms: r(exportStage.p50),
    alertToLineP99Ms: r(exportStage.p99),
    referenceUnderLoadP50Ms: r(loaded.p50),
    referenceUnderLoadP99Ms: r(loaded.p99),
    panelCpuPercent: r(panelCpu),
    agents: AGENTS,
    agentCpuPercent: r(agentCpu),
    rsyslogCpuPercent: r(rsyslogCpu),
    ...(postgresCpu === undefined ? {} : { postgresCpuPercent: r(postgresCpu) }),
    rules: DETECTION_RULE_MIX.length + 1,
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what:
      `${REFERENCE_LINES} RFC 5424 lines shaped like the panel's alert.raised export (JSON payload, octet ` +
      `counting), written by this process straight to the same rsyslog over one TCP connection at ` +
      `${REFERENCE_RATE}/s before the load (panel idle): write → the line read back from rsyslog's file`,
    figures: {
      p99Ms: r(reference.p99),
      p50Ms: r(reference.p50),
      maxMs: r(reference.max),
      linesSeen: referenceLatencies.length,
    },
  },
  ratio: r(e2e.p99 / Math.max(reference.p99, 0.001)),
  target: {
    description:
      `p99 < ${TARGET_P99_MS} ms from event creation on the agent to the alert's line in rsyslog's file, at ` +
      `${RATE} events/s (offered ≥ 95 %), every marker's alert exported (${dbName})`,
    value: TARGET_P99_MS,
  },
  pass,
  method:
    `rsyslogd 8 started by @palisade/testkit's startRsyslog (imtcp, octet counting, %rawmsg% to a file). Panel ` +
    `as \`palisade server\` (--log-level info), database ${dbName}; over the operator API: the ` +
    `${DETECTION_RULE_MIX.length} rules of bench/lib/detection-rule-mix.ts (severities ≤ 8) plus ` +
    `${MARKER_RULE_ID} (match type process.exec and fields.marker = "${LATENCY_MARKER}", suppressSeconds 0, ` +
    `severity ${EXPORT_SEVERITY}), and a syslog exporter (TCP, JSON payload, minSeverity ${EXPORT_SEVERITY}: ` +
    `only the marker alerts go out) to rsyslog. ${AGENTS} agents (bench/lib/agent-driver.ts: Agent from ` +
    `@palisade/agent, each its own device and process, default outbox: group commit every 20 ms, one ` +
    `delivery batch ≤ 500 records in flight) report ${RATE} events/s together (each the reports due every ` +
    `5 ms, not waiting for earlier ones; the mix of ` +
    `bench/lib/security-event-mix.ts), every ${MARKER_EVERY}th a process.exec carrying marker and ` +
    `createdAtMs (wall clock just before agent.report()). ${WARMUP_SECONDS} s warm-up, ${MEASURE_SECONDS} s ` +
    `measured: alerts whose triggering event was created in the window. This process follows rsyslog's file ` +
    `(inotify + 5 ms poll) and notes when each alert line (alertId in its structured data) is read; ` +
    `latency = that time − the triggering event's createdAtMs (GET /v1/alerts/<id> → triggeringEvents). ` +
    `Stages: agent→panel = the event's receivedAt (panel clock at ingest) − createdAtMs; panel→alert = the ` +
    `alert.raised event's occurred time (in the line) − receivedAt; alert→line = read time − that. Clocks: ` +
    `one machine, wall clock (ms resolution for the panel's timestamps). The reference is written and read ` +
    `by this process; referenceUnderLoad* repeats it every ${LOADED_REFERENCE_INTERVAL_MS} ms during the ` +
    `paced run. CPU % of a core over the run after warm-up: panel, agent processes (together), rsyslogd` +
    `${database.kind === 'postgres' ? ', every postgres process' : ''}. ratio = p99 ÷ reference p99.`,
});
