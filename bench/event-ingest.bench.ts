/**
 * event-ingest: sustained security-event ingest from simulated agents over
 * mutual TLS into a panel with 20 detection rules active, against the
 * database's own bulk path (COPY of the same rows into the same table, same
 * database, same run). PGlite, or PostgreSQL with BENCH_DATABASE_URL.
 * See bench/README.md.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { type Db, openPostgresDb } from '@palisade/server';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import {
  COPY_INGEST_KEY,
  type CopyReference,
  pgliteCopyReference,
  postgresCopyReference,
} from './lib/copy-reference.ts';
import { createRules, DETECTION_RULE_MIX } from './lib/detection-rule-mix.ts';
import { type DeviceIdentity, enrollDeviceIdentity } from './lib/device-identity.ts';
import { callJson } from './lib/https-json.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { inParallel } from './lib/parallel.ts';
import { namedProcessesCpuSeconds, processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { startReportLoad } from './lib/report-load.ts';
import { mixedReport } from './lib/security-event-mix.ts';
import { roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'event-ingest';
const env = process.env;
const DEVICES = Number(env.BENCH_INGEST_DEVICES ?? 32);
const BATCH_RECORDS = Number(env.BENCH_INGEST_BATCH ?? 200);
const WARMUP_SECONDS = Number(env.BENCH_INGEST_WARMUP_SECONDS ?? 5);
const MEASURE_SECONDS = Number(env.BENCH_INGEST_SECONDS ?? 20);
const COPY_ROWS = Number(env.BENCH_INGEST_COPY_ROWS ?? 200_000);
/** PostgreSQL: how long to wait, after the load, for the detection worker to empty its queue. */
const DRAIN_TIMEOUT_SECONDS = Number(env.BENCH_INGEST_DRAIN_TIMEOUT_SECONDS ?? 60);
const GROUPS = ['line-a', 'line-b', 'line-c', 'line-d'];
const TARGET_PER_SEC = 20_000;
const TARGET_COPY_RATIO = 0.3;
/** Detection keeps up when its queue grows by at most this share of the events stored meanwhile. */
const KEEP_UP_SHARE = 0.1;

const progress = progressReporter(NAME);

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const postgres = database.kind === 'postgres';
const secrets = benchSecrets();
const dataDir = join(work.path, 'data');
// BENCH_CPU_PROF=<dir>: the panel writes a V8 CPU profile there when it exits.
const profileDir = env.BENCH_CPU_PROF;
progress(`starting the panel (${database.description})`);
const panel = await startPanelProcess({
  dataDir,
  secrets,
  logPrefix: join(work.path, 'panel'),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
  ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
});
await using _panel = panel;
if (panel.database !== database.kind)
  throw new Error(`the panel reports database ${panel.database}, expected ${database.kind}`);
const ca = panel.rootCaPem;
const api = (path: string) => `${panel.operatorUrl}${path}`;
const adminToken = (
  await callJson<{ token: string }>(api('/v1/auth/login'), {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca,
  })
).json.token;

// Four production lines as device groups (the group-threshold rule counts per group).
const { groups } = (
  await callJson<{ groups: { name: string; targetLevel: string }[] }>(api('/v1/groups'), {
    bearer: adminToken,
    ca,
  })
).json;
const targetLevel = groups.find((g) => g.name === 'default')?.targetLevel ?? 'SLE';
for (const group of GROUPS)
  await callJson(api(`/v1/groups/${group}`), {
    method: 'PUT',
    body: { targetLevel },
    bearer: adminToken,
    ca,
  });
progress(`creating ${DETECTION_RULE_MIX.length} detection rules over POST /v1/rules`);
await createRules({ operatorUrl: panel.operatorUrl, rootCaPem: ca, adminToken, rules: DETECTION_RULE_MIX });

progress(`set-up: enrolling ${DEVICES} devices over EST in ${GROUPS.length} groups`);
const identities: DeviceIdentity[] = new Array(DEVICES);
await inParallel(
  Array.from({ length: DEVICES }, (_, i) => `gw-${String(i + 1).padStart(4, '0')}`),
  8,
  async (deviceId, index) => {
    identities[index] = await enrollDeviceIdentity({
      operatorUrl: panel.operatorUrl,
      deviceUrl: panel.deviceUrl,
      rootCaPem: ca,
      adminToken,
      deviceId,
      group: GROUPS[index % GROUPS.length] as string,
    });
  },
);

// On PostgreSQL the detection queue can be watched while the panel runs; PGlite is the panel's alone.
const watcher: Db | undefined =
  database.url === undefined ? undefined : await openPostgresDb(database.url, { max: 1 });
const queueDepth = async () =>
  watcher === undefined
    ? undefined
    : ((await watcher.query<{ n: number }>('SELECT count(*)::int AS n FROM detection_queue')).rows[0]?.n ??
      0);

progress(
  `load: ${DEVICES} devices, batches of ${BATCH_RECORDS} mixed events, one batch in flight each ` +
    `(${WARMUP_SECONDS} s warm-up, ${MEASURE_SECONDS} s measured)`,
);
const load = startReportLoad({
  senders: identities.map((identity) => ({ identity, deviceUrl: panel.deviceUrl })),
  rootCaPem: ca,
  batchRecords: BATCH_RECORDS,
  runId: 'ingest',
  record: mixedReport,
});
await sleep(WARMUP_SECONDS * 1000);
const acknowledgedBefore = load.counters.acknowledged;
const errorsBefore = load.counters.errors;
const depthBefore = await queueDepth();
const panelCpuBefore = processCpuSeconds(panel.pid) ?? 0;
const postgresCpuBefore = postgres ? namedProcessesCpuSeconds('postgres') : 0;
const selfBefore = process.cpuUsage();
const started = performance.now();
await sleep(MEASURE_SECONDS * 1000);
const acknowledged = load.counters.acknowledged - acknowledgedBefore;
const seconds = (performance.now() - started) / 1000;
const panelCpuSeconds = (processCpuSeconds(panel.pid) ?? 0) - panelCpuBefore;
const postgresCpuSeconds = postgres ? namedProcessesCpuSeconds('postgres') - postgresCpuBefore : 0;
const self = process.cpuUsage(selfBefore);
const depthAfter = await queueDepth();
const errors = load.counters.errors - errorsBefore;
await load.stop();
const acknowledgedTotal = load.counters.acknowledged;
const eventsPerSec = acknowledged / seconds;
progress(
  `measured: ${Math.round(eventsPerSec)} events/s stored; CPU % of a core: panel ` +
    `${((panelCpuSeconds / seconds) * 100).toFixed(0)}${postgres ? `, postgres ${((postgresCpuSeconds / seconds) * 100).toFixed(0)}` : ''}, ` +
    `load generator ${(((self.user + self.system) / 1e6 / seconds) * 100).toFixed(0)}; ${errors} errors` +
    `${load.counters.lastError ? ` (last: ${load.counters.lastError})` : ''}` +
    `${depthBefore === undefined ? '' : `; detection queue ${depthBefore} → ${depthAfter}`}`,
);

// After the load: how long the detection worker needs to catch up (PostgreSQL only).
let drainSeconds: number | undefined;
if (watcher !== undefined) {
  const drainStarted = performance.now();
  for (;;) {
    const depth = (await queueDepth()) ?? 0;
    if (depth === 0) {
      drainSeconds = (performance.now() - drainStarted) / 1000;
      break;
    }
    if (performance.now() - drainStarted > DRAIN_TIMEOUT_SECONDS * 1000) {
      progress(`detection queue still holds ${depth} events after ${DRAIN_TIMEOUT_SECONDS} s`);
      break;
    }
    await sleep(250);
  }
  if (drainSeconds !== undefined)
    progress(`detection queue empty ${drainSeconds.toFixed(1)} s after the load`);
}

const countSql = {
  stored: "SELECT count(*)::int AS n FROM security_events WHERE source = 'device'",
  backlog: 'SELECT count(*)::int AS n FROM detection_queue',
  alerts: 'SELECT count(*)::int AS n FROM alerts',
};
type Counts = Record<keyof typeof countSql, number>;
const countIn = async (query: (sql: string) => Promise<number>): Promise<Counts> => ({
  stored: await query(countSql.stored),
  backlog: await query(countSql.backlog),
  alerts: await query(countSql.alerts),
});

let counts: Counts;
let copy: CopyReference;
await stopPanelCleanly(panel);
if (database.url === undefined) {
  progress('reference: the panel stopped, its PGlite opened here; COPY of the stored rows');
  const db = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
  try {
    counts = await countIn(async (sql) => Number((await db.query<{ n: number }>(sql)).rows[0]?.n ?? 0));
    copy = await pgliteCopyReference(db, Math.min(COPY_ROWS, counts.stored));
  } finally {
    await db.close();
  }
} else {
  const db = watcher as Db;
  counts = await countIn(async (sql) => (await db.query<{ n: number }>(sql)).rows[0]?.n ?? 0);
  await db.close();
  progress('reference: the panel stopped; COPY of the stored rows through psql');
  copy = await postgresCopyReference(
    database.url,
    join(work.path, 'copy-rows.txt'),
    Math.min(COPY_ROWS, counts.stored),
  );
}
progress(
  `reference: ${copy.rows} rows in ${copy.seconds.toFixed(2)} s = ${Math.round(copy.rowsPerSec)} rows/s (${copy.client})`,
);

const ratio = eventsPerSec / copy.rowsPerSec;
const backlogGrowth =
  depthBefore === undefined || depthAfter === undefined ? undefined : depthAfter - depthBefore;
// Detection keeps up when its queue does not grow with the load: measured over the window on PostgreSQL,
// and as what was left unevaluated when the panel stopped on PGlite.
const keptUp =
  (backlogGrowth ?? counts.backlog) <= KEEP_UP_SHARE * acknowledged &&
  (watcher === undefined || drainSeconds !== undefined);
const storedAll = counts.stored >= acknowledgedTotal;
const pass =
  eventsPerSec >= TARGET_PER_SEC &&
  (!postgres || ratio >= TARGET_COPY_RATIO) &&
  errors === 0 &&
  storedAll &&
  keptUp;
const optional = (key: string, value: number | undefined) =>
  value === undefined ? {} : { [key]: roundFigure(value) };
const dbName = postgres ? `PostgreSQL (${database.description})` : 'PGlite';

emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    eventsPerSec: roundFigure(eventsPerSec),
    eventsMeasured: acknowledged,
    measuredSeconds: roundFigure(seconds),
    errors,
    rules: DETECTION_RULE_MIX.length,
    devices: DEVICES,
    batchRecords: BATCH_RECORDS,
    panelCpuPercent: roundFigure((panelCpuSeconds / seconds) * 100),
    panelCpuMicrosPerEvent: roundFigure((panelCpuSeconds * 1e6) / Math.max(1, acknowledged)),
    ...optional('postgresCpuPercent', postgres ? (postgresCpuSeconds / seconds) * 100 : undefined),
    loadGeneratorCpuPercent: roundFigure(((self.user + self.system) / 1e6 / seconds) * 100),
    ...optional('detectionQueueAtWindowStart', depthBefore),
    ...optional('detectionQueueAtWindowEnd', depthAfter),
    ...optional(
      'detectionEvaluatedPerSec',
      backlogGrowth === undefined ? undefined : (acknowledged - backlogGrowth) / seconds,
    ),
    ...optional('detectionDrainSeconds', drainSeconds),
    detectionQueueAtStop: counts.backlog,
    detectionKeptUp: keptUp ? 1 : 0,
    alertsRaised: counts.alerts,
    acknowledgedInAll: acknowledgedTotal,
    storedInPanel: counts.stored,
    postgres: postgres ? 1 : 0,
  },
  reference: {
    what:
      `${dbName}: ${copy.rows} of the rows the ingest stored, re-keyed (ingest_key '${COPY_INGEST_KEY}'), ` +
      `sent back into security_events of the same database (same partitions, keys and indexes) with one ` +
      `COPY … FROM (${copy.client}), after the load with the panel stopped; the statement's time`,
    figures: {
      copyRowsPerSec: roundFigure(copy.rowsPerSec),
      copyRows: copy.rows,
      copySeconds: roundFigure(copy.seconds),
    },
  },
  ratio: roundFigure(ratio),
  target: {
    description:
      `≥ ${TARGET_PER_SEC} events/s stored with ${DETECTION_RULE_MIX.length} rules active` +
      `${postgres ? ` and ≥ ${TARGET_COPY_RATIO} × COPY` : ' (the COPY ratio is judged on PostgreSQL)'}, no errors, ` +
      `every acknowledged event stored, detection keeping up (queue growth ≤ ${KEEP_UP_SHARE * 100} % of the events stored)`,
    value: TARGET_PER_SEC,
  },
  pass,
  method:
    `Panel started as \`palisade server\` (--log-level info) on an empty data directory, database ${dbName}. ` +
    `Over the operator API: ${GROUPS.length} device groups (PUT /v1/groups/<name>), ${DETECTION_RULE_MIX.length} ` +
    `detection rules (POST /v1/rules; bench/lib/detection-rule-mix.ts: 8 match, 6 threshold per device/group/fleet, ` +
    `4 sequence, 2 spread), ${DEVICES} devices registered in those groups and enrolled over EST (P-256). The load ` +
    `generator runs in the benchmark process (bench/lib/report-load.ts): each device posts batches of ` +
    `${BATCH_RECORDS} records to POST /v1/devices/<id>/reports, one after another over its own kept-alive ` +
    `mutual-TLS connection; the records follow bench/lib/security-event-mix.ts (70 % process.exec ≈ 170-byte ` +
    `bodies, 13 % net.connection, 8 % process.started, 5 % auth.login-failed, 4 % file.changed), fresh IDs. ` +
    `${WARMUP_SECONDS} s warm-up, then ${MEASURE_SECONDS} s measured: eventsPerSec = records acknowledged in ` +
    `the window (the ingest acknowledges a batch after its transaction — events, their detection-queue rows and ` +
    `NOTIFY — commits) ÷ wall time. The detection worker runs in the panel as in production; ` +
    `${postgres ? `its queue is counted at the window's ends (detectionEvaluatedPerSec = events stored − queue growth, per second) and polled after the load until empty (detectionDrainSeconds, at most ${DRAIN_TIMEOUT_SECONDS} s)` : 'on PGlite its queue can only be counted once the panel has stopped (detectionQueueAtStop)'}. ` +
    `CPU from /proc over the window: the panel${postgres ? ', every process named postgres on the machine' : ' (PGlite included)'}, ` +
    `the load generator (this process). After the load the panel is stopped and the stored events, the queue and ` +
    `the alerts are counted in its database. Reference: ${copy.rows} of the stored rows exported with ` +
    `COPY (SELECT …) and sent back into security_events with COPY … FROM (${copy.client}); ratio = ` +
    `eventsPerSec ÷ copyRowsPerSec. The COPY runs into a table already holding the ingest's rows, which the ` +
    `ingest itself filled from empty.`,
});
