/**
 * outbox-delivery: events per second that an enrolled agent appends durably
 * to its outbox (each `agent.report()` resolves after the group commit's
 * fdatasync) and delivers end to end into the database of a panel running
 * as its own process, compared with the raw rate at which the same database
 * takes the same rows with the panel's own INSERT, measured in the same run.
 * See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Db, migrate, openPgliteDb, openPostgresDb } from '@palisade/server';
import { EVENT_KIND, EVENT_SEVERITY, eventBody, prepareBenchAgent } from './lib/agent-driver.ts';
import { startAgentDriver } from './lib/agent-driver-process.ts';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { median, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'outbox-delivery';
const EVENTS = Number(process.env.BENCH_OUTBOX_EVENTS ?? 50_000);
const WARMUP_EVENTS = Number(process.env.BENCH_OUTBOX_WARMUP_EVENTS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_OUTBOX_CONCURRENCY ?? 256);
/** The agent's delivery batch (packages/agent/src/channel/outbox-delivery.ts). */
const BATCH_RECORDS = 500;
/**
 * The outbox's default group-commit window (packages/agent/src/outbox/outbox-options.ts): fsyncs start
 * at least this far apart, so with CONCURRENCY appends in flight the append rate cannot pass
 * CONCURRENCY per window.
 */
const FSYNC_INTERVAL_MS = 20;
const TARGET_PER_SEC = 5000;

const progress = progressReporter(NAME);

/** The event store's statement (packages/server/src/events/event-store.ts), aimed at a scratch table. */
const INSERT_SQL = `INSERT INTO bench_reference_events (ingest_key, id, source, device_id, type, severity, message, occurred_at, received_at, fields)
  SELECT $1, r.id, 'device', $1, r.type, r.severity, r.type, r.occurred_at, $2, r.fields
    FROM unnest($3::text[], $4::text[], $5::smallint[], $6::timestamptz[], $7::jsonb[])
      AS r (id, type, severity, occurred_at, fields)
  ON CONFLICT DO NOTHING
  RETURNING id`;

interface ReferenceRow {
  readonly id: string;
  readonly createdAt: string;
  readonly body: string;
}

function referenceRows(count: number): ReferenceRow[] {
  const createdAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    createdAt,
    body: JSON.stringify(eventBody(i + 1)),
  }));
}

/**
 * The database reference: the same rows, in the agent's batches of 500, one
 * transaction each, one after another, with the ingest's INSERT … SELECT FROM
 * unnest into `bench_reference_events (LIKE security_events INCLUDING ALL)`
 * (same columns, keys and indexes; one table instead of daily partitions). What the panel's ingest
 * costs the database, without HTTP, TLS, JSON parsing or the agent.
 */
async function databaseRowsPerSec(db: Db, rows: readonly ReferenceRow[]): Promise<number> {
  await db.exec(
    'DROP TABLE IF EXISTS bench_reference_events; CREATE TABLE bench_reference_events (LIKE security_events INCLUDING ALL)',
  );
  const batches: ReferenceRow[][] = [];
  for (let i = 0; i < rows.length; i += BATCH_RECORDS) batches.push(rows.slice(i, i + BATCH_RECORDS));
  const started = performance.now();
  let inserted = 0;
  for (const batch of batches) {
    inserted += await db.transaction(
      async (tx) =>
        (
          await tx.query(INSERT_SQL, [
            'bench-reference',
            new Date(),
            batch.map((r) => r.id),
            batch.map(() => EVENT_KIND),
            batch.map(() => EVENT_SEVERITY),
            batch.map((r) => r.createdAt),
            batch.map((r) => r.body),
          ])
        ).rowCount,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  if (inserted !== rows.length) throw new Error(`reference stored ${inserted} of ${rows.length} rows`);
  await db.exec('DROP TABLE bench_reference_events');
  return rows.length / seconds;
}

/**
 * The append reference: the same records as JSON lines written to a new file
 * in groups of CONCURRENCY (the most one group commit can carry with that
 * many appends in flight), one write + fdatasync per group, with no window
 * between fsyncs. Median of 3 rounds: the first fsyncs of a file vary most.
 */
async function fsyncAppendsPerSec(dir: string, rows: readonly ReferenceRow[]): Promise<number> {
  const lines = rows.map(
    (r) =>
      `${JSON.stringify({ id: r.id, kind: EVENT_KIND, severity: EVENT_SEVERITY, createdAt: r.createdAt, body: r.body })}\n`,
  );
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const file = await open(join(dir, `appends-${round}.jsonl`), 'a');
    try {
      const started = performance.now();
      for (let i = 0; i < lines.length; i += CONCURRENCY) {
        await file.write(lines.slice(i, i + CONCURRENCY).join(''));
        await file.datasync();
      }
      rounds.push(lines.length / ((performance.now() - started) / 1000));
    } finally {
      await file.close();
    }
  }
  return median(rounds);
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const secrets = benchSecrets();
const dataDir = join(work.path, 'data');
progress(`starting the panel (${database.description})`);
const panel = await startPanelProcess({
  dataDir,
  secrets,
  logPrefix: join(work.path, 'panel'),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
});
await using _panel = panel;
if (panel.database !== database.kind)
  throw new Error(`the panel reports database ${panel.database}, expected ${database.kind}`);

const deviceId = 'bench-outbox-1';
const files = await prepareBenchAgent({
  operatorUrl: panel.operatorUrl,
  deviceUrl: panel.deviceUrl,
  rootCaPem: panel.rootCaPem,
  adminPassword: secrets.adminPassword,
  deviceId,
  dir: work.path,
});

// The references first, with the panel idle and before the agent exists.
const rows = referenceRows(EVENTS);
progress(`reference: ${EVENTS} fdatasync'd appends in groups of ${CONCURRENCY}, median of 3`);
const referenceDir = join(work.path, 'reference');
await mkdir(referenceDir);
const appendReference = await fsyncAppendsPerSec(referenceDir, rows);
progress(`reference: ${Math.round(appendReference)} appends/s`);
progress(
  `reference: ${EVENTS} rows into ${database.kind === 'postgres' ? 'the panel’s PostgreSQL database' : 'a fresh in-process PGlite'}, batches of ${BATCH_RECORDS}`,
);
const referenceDb =
  database.url === undefined
    ? await openPgliteDb({ dataDir: join(referenceDir, 'pgdata') })
    : await openPostgresDb(database.url, { max: 2 });
if (database.url === undefined) await migrate(referenceDb);
const dbReference = await databaseRowsPerSec(referenceDb, rows).finally(() => referenceDb.close());
progress(`reference: ${Math.round(dbReference)} rows/s`);

progress('starting the agent driver (Agent from @palisade/agent in its own process)');
const driver = await startAgentDriver({
  configPath: files.configPath,
  logPath: join(work.path, 'agent-driver.log'),
  operatorUrl: panel.operatorUrl,
  rootCaPem: panel.rootCaPem,
  adminToken: files.adminToken,
  deviceId,
});
const { next, send } = driver;
progress('agent enrolled and online');

async function run(label: string, events: number) {
  send({ run: { label, events, concurrency: CONCURRENCY } });
  await next('run-started');
  const panelBefore = processCpuSeconds(panel.pid);
  const done = await next('run-done');
  const panelAfter = processCpuSeconds(panel.pid);
  const panelCpuSeconds =
    panelBefore === undefined || panelAfter === undefined ? undefined : panelAfter - panelBefore;
  return { ...done, panelCpuSeconds };
}

progress(`warm-up: ${WARMUP_EVENTS} events, ${CONCURRENCY} appends in flight (discarded)`);
const warmup = await run('warm-up', WARMUP_EVENTS);
progress(`warm-up delivered in ${warmup.deliveredSeconds.toFixed(2)} s`);
progress(`measuring: ${EVENTS} events, ${CONCURRENCY} appends in flight`);
const measured = await run('measured', EVENTS);
const appended = EVENTS - measured.failedAppends;
const appendPerSec = appended / measured.appendSeconds;
const deliveredPerSec = appended / measured.deliveredSeconds;
progress(
  `measured: appended in ${measured.appendSeconds.toFixed(2)} s (${Math.round(appendPerSec)}/s), ` +
    `delivered in ${measured.deliveredSeconds.toFixed(2)} s (${Math.round(deliveredPerSec)}/s), ${measured.failedAppends} failed appends`,
);
const driverCode = await driver.stop();
if (driverCode !== 0) throw new Error(`the agent driver did not stop cleanly (code ${driverCode})`);

// After the clock: the panel's database holds every benchmark event exactly once.
const countSql = 'SELECT count(*)::int AS n FROM security_events WHERE ingest_key = $1 AND type = $2';
let stored: number;
if (database.url === undefined) {
  await stopPanelCleanly(panel);
  const db = await openPgliteDb({ dataDir: join(dataDir, 'pgdata') });
  stored = (await db.query<{ n: number }>(countSql, [deviceId, EVENT_KIND])).rows[0]?.n ?? 0;
  await db.close();
} else {
  const db = await openPostgresDb(database.url, { max: 1 });
  stored = (await db.query<{ n: number }>(countSql, [deviceId, EVENT_KIND])).rows[0]?.n ?? 0;
  await db.close();
  await stopPanelCleanly(panel);
}
const expectedStored = WARMUP_EVENTS - warmup.failedAppends + appended;
progress(`checks: the panel stored ${stored} events (expected ${expectedStored})`);

const ok = measured.failedAppends === 0 && stored === expectedStored;
const optional = (key: string, value: number | undefined) =>
  value === undefined ? {} : { [key]: roundFigure(value) };
const dbName = database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite';
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    deliveredPerSec: roundFigure(deliveredPerSec),
    appendPerSec: roundFigure(appendPerSec),
    events: EVENTS,
    failedAppends: measured.failedAppends,
    storedInPanel: stored,
    expectedInPanel: expectedStored,
    appendSeconds: roundFigure(measured.appendSeconds),
    deliveredSeconds: roundFigure(measured.deliveredSeconds),
    agentCpuPercent: roundFigure((measured.cpuSeconds / measured.deliveredSeconds) * 100),
    agentCpuMicrosPerEvent: roundFigure((measured.cpuSeconds * 1e6) / Math.max(1, appended)),
    ...optional(
      'panelCpuPercent',
      measured.panelCpuSeconds === undefined
        ? undefined
        : (measured.panelCpuSeconds / measured.deliveredSeconds) * 100,
    ),
    ...optional(
      'panelCpuMicrosPerEvent',
      measured.panelCpuSeconds === undefined ? undefined : (measured.panelCpuSeconds * 1e6) / appended,
    ),
    warmupDeliveredPerSec: roundFigure((WARMUP_EVENTS - warmup.failedAppends) / warmup.deliveredSeconds),
    concurrency: CONCURRENCY,
    appendCeilingPerSec: roundFigure(CONCURRENCY / (FSYNC_INTERVAL_MS / 1000)),
    appendRatio: roundFigure(appendPerSec / appendReference),
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what:
      `${dbName}: the same ${EVENTS} rows inserted with the panel's ingest statement (INSERT … SELECT FROM ` +
      `unnest … ON CONFLICT DO NOTHING RETURNING) into a LIKE security_events table, ${BATCH_RECORDS} per ` +
      `transaction, one after another, through the panel's Db layer (${database.kind === 'postgres' ? 'pg pool, same database, panel idle' : 'a fresh in-process PGlite, migrated'}); ` +
      `and the same records as JSON lines appended to a new file, ${CONCURRENCY} per write + fdatasync (median of 3)`,
    figures: {
      databaseRowsPerSec: roundFigure(dbReference),
      fsyncAppendsPerSec: roundFigure(appendReference),
    },
  },
  ratio: roundFigure(deliveredPerSec / dbReference),
  target: {
    description: `≥ ${TARGET_PER_SEC} events/s delivered into the panel's database (${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}), every event stored once`,
    value: TARGET_PER_SEC,
  },
  pass: deliveredPerSec >= TARGET_PER_SEC && ok,
  method:
    `Panel started as \`palisade server\` (--log-level info) on an empty data directory, database ${dbName}` +
    `${database.kind === 'postgres' ? ' (a fresh database on BENCH_DATABASE_URL, --database-url)' : ''}. A device ` +
    `registered with POST /v1/devices and a one-time enrollment token; the agent runs in its own process ` +
    `(bench/lib/agent-driver.ts: \`Agent.start\` from @palisade/agent, software root of trust, log level ` +
    `info to a file, default outbox settings: group commit every 20 ms, delivery batches of ≤ ${BATCH_RECORDS} ` +
    `records / 768 KiB). Once the agent is online with its start-up records delivered, the driver calls ` +
    `agent.report('${EVENT_KIND}', ${EVENT_SEVERITY}, body) with ${CONCURRENCY} calls in flight (body ≈ 170 ` +
    `bytes of JSON): ${WARMUP_EVENTS} warm-up events (discarded), then ${EVENTS} measured. appendPerSec = ` +
    `events ÷ time from the first call to the last call resolved (each resolves after the outbox's ` +
    `fdatasync). deliveredPerSec = events ÷ time from the first call until the outbox holds no pending ` +
    `record and has counted every one acknowledged (polled every 2 ms): the panel acknowledges a batch only ` +
    `after its transaction commits, so acknowledged = stored. Checked after the clock: count(*) of ` +
    `security_events for the device and type in the panel's database ` +
    `${database.kind === 'postgres' ? '(over pg)' : '(the panel stopped, its PGlite data directory opened)'} ` +
    `equals every event appended. Panel CPU from /proc/<pid>/stat over the measured run` +
    `${database.kind === 'postgres' ? ' (PostgreSQL backends not included)' : ''}; agent CPU = the driver ` +
    `process. References measured first, the panel idle, no agent yet. ratio = deliveredPerSec ÷ ` +
    `databaseRowsPerSec; appendRatio = appendPerSec ÷ fsyncAppendsPerSec. appendCeilingPerSec = ` +
    `${CONCURRENCY} in flight ÷ the ${FSYNC_INTERVAL_MS} ms group-commit window: the most the outbox can ` +
    `append at this concurrency, whatever the disk.`,
});
