/**
 * replica-ingest: event ingest of two panel replicas on one PostgreSQL
 * database against one replica — the scaling ratio. PostgreSQL only
 * (replicas share nothing but the database). See bench/README.md.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgresDb } from '@palisade/server';
import pg from 'pg';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { type DeviceIdentity, enrollDeviceIdentity } from './lib/device-identity.ts';
import { callJson } from './lib/https-json.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { inParallel } from './lib/parallel.ts';
import { namedProcessesCpuSeconds, processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { startReportLoad } from './lib/report-load.ts';
import { median, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'replica-ingest';
const env = process.env;
const DEVICES = Number(env.BENCH_REPLICA_DEVICES ?? 64);
const BATCH_RECORDS = Number(env.BENCH_REPLICA_BATCH ?? 100);
const WARMUP_SECONDS = Number(env.BENCH_REPLICA_WARMUP_SECONDS ?? 5);
const MEASURE_SECONDS = Number(env.BENCH_REPLICA_SECONDS ?? 20);
/** Each round measures one replica, then two; the medians over the rounds are reported. */
const ROUNDS = Number(env.BENCH_REPLICA_ROUNDS ?? 2);
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_SCALING = 1.5;

const progress = progressReporter(NAME);

/** CPU seconds of every `postgres` process on the machine (the server, its backends and workers). */
const postgresCpuSeconds = () => namedProcessesCpuSeconds('postgres');

// PostgreSQL only: BENCH_DATABASE_URL, or the local server if one answers there.
if (env.BENCH_DATABASE_URL === undefined || env.BENCH_DATABASE_URL === '') {
  const probe = new pg.Client({ connectionString: LOCAL_POSTGRES, connectionTimeoutMillis: 3000 });
  try {
    await probe.connect();
    await probe.end();
    env.BENCH_DATABASE_URL = LOCAL_POSTGRES;
  } catch (error) {
    process.stderr.write(
      `${NAME} needs PostgreSQL: set BENCH_DATABASE_URL=postgres://user@host/db (a user that may CREATE ` +
        `DATABASE); nothing answered at ${LOCAL_POSTGRES} either (${(error as Error).message})\n`,
    );
    process.exit(1);
  }
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const databaseUrl = database.url as string;
const secrets = benchSecrets();
progress(`starting replica A (${database.description})`);
const replicaA = await startPanelProcess({
  dataDir: join(work.path, 'data-a'),
  secrets,
  logPrefix: join(work.path, 'panel-a'),
  databaseUrl,
});
await using _a = replicaA;
// Replica B: the same database and key passphrase, a data directory of its own (docs/operating-replicas.md).
progress('starting replica B on the same database');
const replicaB = await startPanelProcess({
  dataDir: join(work.path, 'data-b'),
  secrets,
  logPrefix: join(work.path, 'panel-b'),
  databaseUrl,
});
await using _b = replicaB;
if (replicaA.rootCaPem !== replicaB.rootCaPem) throw new Error('the replicas report different root CAs');
const ca = replicaA.rootCaPem;

const adminToken = (
  await callJson<{ token: string }>(`${replicaA.operatorUrl}/v1/auth/login`, {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca,
  })
).json.token;
progress(`set-up: enrolling ${DEVICES} devices over EST (through replica A)`);
const identities: DeviceIdentity[] = new Array(DEVICES);
await inParallel(
  Array.from({ length: DEVICES }, (_, i) => `ingest-${String(i + 1).padStart(4, '0')}`),
  8,
  async (deviceId, index) => {
    identities[index] = await enrollDeviceIdentity({
      operatorUrl: replicaA.operatorUrl,
      deviceUrl: replicaA.deviceUrl,
      rootCaPem: ca,
      adminToken,
      deviceId,
    });
  },
);

const counter = await openPostgresDb(databaseUrl, { max: 1 });
const storedRows = async () =>
  (await counter.query<{ n: string }>('SELECT count(*) AS n FROM security_events')).rows[0]?.n ?? '0';

/** One measured run: every device delivering as fast as its replica answers; rows/s from count(*). */
async function measure(label: string, replicas: readonly { deviceUrl: string; pid: number }[], run: number) {
  const load = startReportLoad({
    senders: identities.map((identity, i) => ({
      identity,
      deviceUrl: (replicas[i % replicas.length] as { deviceUrl: string }).deviceUrl,
    })),
    rootCaPem: ca,
    batchRecords: BATCH_RECORDS,
    runId: `r${run}`,
  });
  await sleep(WARMUP_SECONDS * 1000);
  const rowsBefore = Number(await storedRows());
  const cpuBefore = replicas.map((r) => processCpuSeconds(r.pid) ?? 0);
  const pgBefore = postgresCpuSeconds();
  const selfBefore = process.cpuUsage();
  const errorsBefore = load.counters.errors;
  const started = performance.now();
  await sleep(MEASURE_SECONDS * 1000);
  const rowsAfter = Number(await storedRows());
  const seconds = (performance.now() - started) / 1000;
  const replicaCpu = replicas.map(
    (r, i) => (((processCpuSeconds(r.pid) ?? 0) - (cpuBefore[i] ?? 0)) / seconds) * 100,
  );
  const postgresCpu = ((postgresCpuSeconds() - pgBefore) / seconds) * 100;
  const self = process.cpuUsage(selfBefore);
  const errors = load.counters.errors - errorsBefore;
  await load.stop();
  const rowsPerSec = (rowsAfter - rowsBefore) / seconds;
  progress(
    `${label}: ${Math.round(rowsPerSec)} rows/s; CPU % of a core: replicas ${replicaCpu.map((c) => c.toFixed(0)).join(' + ')}, ` +
      `postgres ${postgresCpu.toFixed(0)}, load generator ${(((self.user + self.system) / 1e6 / seconds) * 100).toFixed(0)}; ` +
      `${errors} errors${load.counters.lastError ? ` (last: ${load.counters.lastError})` : ''}`,
  );
  return {
    rowsPerSec,
    errors,
    replicaCpu: replicaCpu.reduce((t, c) => t + c, 0),
    postgresCpu,
    loadCpu: ((self.user + self.system) / 1e6 / seconds) * 100,
  };
}

const one: Awaited<ReturnType<typeof measure>>[] = [];
const two: Awaited<ReturnType<typeof measure>>[] = [];
const a = { deviceUrl: replicaA.deviceUrl, pid: replicaA.pid };
const b = { deviceUrl: replicaB.deviceUrl, pid: replicaB.pid };
for (let round = 1; round <= ROUNDS; round++) {
  progress(
    `round ${round}/${ROUNDS}: ${DEVICES} devices → replica A (${WARMUP_SECONDS} s warm-up, ${MEASURE_SECONDS} s measured)`,
  );
  one.push(await measure(`round ${round}, one replica`, [a], round * 2 - 1));
  progress(`round ${round}/${ROUNDS}: ${DEVICES / 2} devices → A, ${DEVICES / 2} → B`);
  two.push(await measure(`round ${round}, two replicas`, [a, b], round * 2));
}
const totalRows = Number(await storedRows());
await counter.close();
await stopPanelCleanly(replicaB);
await stopPanelCleanly(replicaA);

const m = (runs: typeof one, key: keyof (typeof one)[number]) => median(runs.map((r) => r[key]));
const oneRowsPerSec = m(one, 'rowsPerSec');
const twoRowsPerSec = m(two, 'rowsPerSec');
const scalingRatio = twoRowsPerSec / oneRowsPerSec;
const errors = [...one, ...two].reduce((t, r) => t + r.errors, 0);
progress(
  `one replica ${Math.round(oneRowsPerSec)} rows/s, two ${Math.round(twoRowsPerSec)} rows/s: ×${scalingRatio.toFixed(2)}`,
);

emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    scalingRatio: roundFigure(scalingRatio),
    twoReplicasRowsPerSec: roundFigure(twoRowsPerSec),
    oneReplicaRowsPerSec: roundFigure(oneRowsPerSec),
    oneReplicaRuns: one.map((r) => roundFigure(r.rowsPerSec)),
    twoReplicasRuns: two.map((r) => roundFigure(r.rowsPerSec)),
    errors,
    oneReplicaPanelCpuPercent: roundFigure(m(one, 'replicaCpu')),
    twoReplicasPanelCpuPercent: roundFigure(m(two, 'replicaCpu')),
    onePostgresCpuPercent: roundFigure(m(one, 'postgresCpu')),
    twoPostgresCpuPercent: roundFigure(m(two, 'postgresCpu')),
    oneLoadGeneratorCpuPercent: roundFigure(m(one, 'loadCpu')),
    twoLoadGeneratorCpuPercent: roundFigure(m(two, 'loadCpu')),
    devices: DEVICES,
    batchRecords: BATCH_RECORDS,
    rowsStoredInAll: totalRows,
    cpus: machineFacts().cpus,
  },
  reference: {
    what: 'one replica on the same database, same devices and load, measured in the same rounds',
    figures: { oneReplicaRowsPerSec: roundFigure(oneRowsPerSec) },
  },
  ratio: roundFigure(scalingRatio),
  target: {
    description:
      `two replicas store ≥ ${TARGET_SCALING}× the events/s of one (our figure; the issue names none) — ` +
      `needs cores for both replicas, PostgreSQL and the load generator`,
    value: TARGET_SCALING,
  },
  pass: scalingRatio >= TARGET_SCALING && errors === 0,
  method:
    `Two \`palisade server\` processes (log level info, to files) on one fresh PostgreSQL database ` +
    `(${database.description}), the same PALISADE_KEY_PASSPHRASE, a data directory each ` +
    `(docs/operating-replicas.md). ${DEVICES} devices registered and enrolled over EST through replica A ` +
    `(P-256 keys), then the load generator in the benchmark process (bench/lib/report-load.ts): each device ` +
    `posts batches of ${BATCH_RECORDS} process.exec reports (≈ 170-byte bodies, fresh record IDs) to ` +
    `POST /v1/devices/<id>/reports one after another over its own kept-alive mutual-TLS connection, ` +
    `${DEVICES} batches in flight in all. One replica: every device to A; two: devices alternately to A ` +
    `and B (the same total load). Each run: ${WARMUP_SECONDS} s warm-up, then ${MEASURE_SECONDS} s measured; ` +
    `rows/s = increase of count(*) of security_events (the ingest acknowledges only committed batches) ÷ ` +
    `wall time. ${ROUNDS} rounds of (one, two), medians reported; the table grows through the run, which ` +
    `the alternation spreads over both. CPU % of a core over each measured window: the replicas ` +
    `(/proc/<pid>/stat), every process named postgres on the machine, and the benchmark process (load ` +
    `generator). scalingRatio = two ÷ one = ratio. On this ${machineFacts().cpus}-core machine the replicas, ` +
    `PostgreSQL and the load generator share the cores: a second replica can only add throughput if one ` +
    `replica left cores idle, so the ratio measures contention here, not what a second host would add.`,
});
