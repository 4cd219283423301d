/**
 * exporter-throughput: messages per second the panel's SIEM exporter drains
 * from a pre-filled queue into a real rsyslog over TCP (RFC 5424 + CEF,
 * octet counting), against the same messages pushed by a bare Node TCP
 * client to the same rsyslog. See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventTypeInfo, frameOctetCounting } from '@palisade/core';
import { type Db, openPgliteDb, openPostgresDb } from '@palisade/server';
import { startRsyslog } from '@palisade/testkit';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { callJson } from './lib/https-json.ts';
import { type LineTail, tailLines } from './lib/line-tail.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, type PanelProcess, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { namedProcessesCpuSeconds, processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { mixedReport } from './lib/security-event-mix.ts';
import { roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'exporter-throughput';
const env = process.env;
const MESSAGES = Number(env.BENCH_EXPORTER_MESSAGES ?? 200_000);
const PAYLOAD = env.BENCH_EXPORTER_PAYLOAD === 'json' ? 'json' : 'cef';
/** The exporter worker's default batch (packages/server/src/siem/exporter-worker.ts); the reference writes the same. */
const BATCH = 500;
const FILL_CHUNK = 5000;
const IDLE_TIMEOUT_MS = 30_000;
/** After the restart, rsyslog stays down this long: the panel's start-up work (PGlite's WASM compiling in the background) is over before the drain. */
const SETTLE_SECONDS = Number(env.BENCH_EXPORTER_SETTLE_SECONDS ?? 5);
const TARGET_PER_SEC = 50_000;
const REFERENCE_ROUNDS = 3;

const progress = progressReporter(NAME);

/** What the panel queues for an exporter: an event as stored, message and fields in the body (exportEventOf). */
interface ExportEvent {
  readonly id: string;
  readonly source: 'device';
  readonly deviceId: string;
  readonly type: string;
  readonly severity: number;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly body: Readonly<Record<string, string | number | boolean>>;
}

/** MESSAGES device events of the usual mix from 32 devices, shaped as the ingest stores and queues them. */
function exportEvents(count: number): ExportEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const report = mixedReport(i + 1, i % 32);
    const fields = Object.fromEntries(
      Object.entries(report.body).map(([key, value]) => [
        key,
        Array.isArray(value) ? JSON.stringify(value) : value,
      ]),
    );
    const at = new Date(now - (count - i)).toISOString();
    return {
      id: randomUUID(),
      source: 'device',
      deviceId: `gw-${String((i % 32) + 1).padStart(4, '0')}`,
      type: report.kind,
      severity: report.severity,
      occurredAt: at,
      receivedAt: at,
      body: { message: eventTypeInfo(report.kind)?.title ?? report.kind, ...fields },
    };
  });
}

/**
 * Fills the exporter's queue in one transaction with ExporterQueue.enqueueIn's statement
 * (packages/server/src/siem/exporter-queue.ts), so the whole queue appears at once.
 */
async function fillQueue(db: Db, events: readonly ExportEvent[]): Promise<number> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < events.length; i += FILL_CHUNK) {
      const chunk = events.slice(i, i + FILL_CHUNK);
      await tx.query(
        `INSERT INTO siem_outbox (exporter_id, event)
         SELECT e.id, ev.event FROM siem_exporters e
           CROSS JOIN unnest($1::jsonb[], $2::smallint[]) WITH ORDINALITY AS ev (event, severity, n)
          WHERE e.enabled AND ev.severity >= e.min_severity
          ORDER BY e.id, ev.n`,
        [chunk.map((event) => JSON.stringify(event)), chunk.map((event) => event.severity)],
      );
    }
  });
  const queued = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM siem_outbox');
  return queued.rows[0]?.n ?? 0;
}

interface DrainFigures {
  readonly perSec: number;
  readonly seconds: number;
  readonly lines: number;
}

/** Lines per second in rsyslog's file between the first and the last write it made (the first read's lines excluded). */
function drainFigures(tail: LineTail, firstChunk: number): DrainFigures {
  const seconds = ((tail.lastSeenAt ?? 0) - (tail.firstSeenAt ?? 0)) / 1000;
  return { perSec: (tail.lines - firstChunk) / seconds, seconds, lines: tail.lines };
}

/** Follows rsyslog's file from `offset`; notes how many lines the first read brought and the CPU counters then. */
async function followDrain(file: string, offset: number, onFirst: () => void) {
  let firstChunk = 0;
  const tail = await tailLines(file, {
    fromOffset: offset,
    onLines: (lines) => {
      if (firstChunk === 0) {
        firstChunk = lines.length;
        onFirst();
      }
    },
  });
  return { tail, firstChunk: () => firstChunk };
}

function writeFrames(socket: Socket, frames: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(frames, (error) => (error ? reject(error) : resolve())),
  );
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
progress('starting rsyslogd (TCP, octet counting, to a file)');
await using rsyslog = await startRsyslog({ tcp: true });
const secrets = benchSecrets();
const dataDir = join(work.path, 'data');
const profileDir = env.BENCH_CPU_PROF;
const start = async (label: string) =>
  startPanelProcess({
    dataDir,
    secrets,
    logPrefix: join(work.path, label),
    ...(database.url === undefined ? {} : { databaseUrl: database.url }),
    ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
  });

progress(`starting the panel (${database.description}) to create the exporter`);
let panel: PanelProcess = await start('panel-setup');
const ca = panel.rootCaPem;
const login = async (p: PanelProcess) =>
  (
    await callJson<{ token: string }>(`${p.operatorUrl}/v1/auth/login`, {
      body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
      ca,
    })
  ).json.token;
let adminToken = await login(panel);
await callJson(`${panel.operatorUrl}/v1/siem/exporters`, {
  body: {
    name: 'rsyslog-throughput',
    kind: 'syslog',
    config: { transport: 'tcp', host: '127.0.0.1', port: rsyslog.tcpPort, payload: PAYLOAD },
  },
  bearer: adminToken,
  ca,
  expect: [201],
});
await stopPanelCleanly(panel);

// The queue is filled with the panel stopped, so that its exporter finds all of it at once when it starts.
const events = exportEvents(MESSAGES);
progress(`filling the exporter's queue with ${MESSAGES} events in one transaction`);
const db =
  database.url === undefined
    ? await openPgliteDb({ dataDir: join(dataDir, 'pgdata') })
    : await openPostgresDb(database.url, { max: 1 });
const queued = await fillQueue(db, events).finally(() => db.close());
if (queued !== MESSAGES) throw new Error(`the queue holds ${queued} events, expected ${MESSAGES}`);

let panelCpuAtFirst = 0;
let rsyslogCpuAtFirst = 0;
let postgresCpuAtFirst = 0;
const panelFollow = await followDrain(rsyslog.file, 0, () => {
  panelCpuAtFirst = processCpuSeconds(panel.pid) ?? 0;
  rsyslogCpuAtFirst = namedProcessesCpuSeconds('rsyslogd');
  postgresCpuAtFirst = database.kind === 'postgres' ? namedProcessesCpuSeconds('postgres') : 0;
});
progress(
  `restarting the panel with rsyslog down for ${SETTLE_SECONDS} s (its exporter retries with backoff)`,
);
await rsyslog.stop();
panel = await start('panel');
await using _panel = panel;
await sleep(SETTLE_SECONDS * 1000);
progress('rsyslog up again: the exporter drains the queue at its next retry');
await rsyslog.start();
await panelFollow.tail.waitFor(MESSAGES, IDLE_TIMEOUT_MS);
const panelCpuSeconds = (processCpuSeconds(panel.pid) ?? 0) - panelCpuAtFirst;
const rsyslogCpuSeconds = namedProcessesCpuSeconds('rsyslogd') - rsyslogCpuAtFirst;
const postgresCpuSeconds =
  database.kind === 'postgres' ? namedProcessesCpuSeconds('postgres') - postgresCpuAtFirst : 0;
await panelFollow.tail.stop();
const drained = drainFigures(panelFollow.tail, panelFollow.firstChunk());
progress(
  `panel: ${drained.lines} lines in ${drained.seconds.toFixed(2)} s = ${Math.round(drained.perSec)} messages/s`,
);
adminToken = await login(panel);
const lag = (
  await callJson<{ exporters: { name: string; lag: { pending: number; delivered: number } | null }[] }>(
    `${panel.operatorUrl}/v1/siem/exporters`,
    { bearer: adminToken, ca },
  )
).json.exporters.find((e) => e.name === 'rsyslog-throughput')?.lag;
await stopPanelCleanly(panel);

// What the panel sent, exactly as rsyslog received it: the reference sends these same messages.
const received = await rsyslog.readMessages();
progress(
  `reference: the same ${MESSAGES} messages from a bare TCP client, ${BATCH} per write, median of ${REFERENCE_ROUNDS}`,
);
const panelLines = received.slice(0, MESSAGES);
const ids = new Set(received.map((line) => /palisade@32473 id="([^"]+)"/.exec(line)?.[1]));
const expectedIds = new Set(events.map((e) => e.id));
const missing = [...expectedIds].filter((id) => !ids.has(id)).length;
const duplicates = received.length - ids.size;
const frames: Buffer[] = [];
for (let i = 0; i < panelLines.length; i += BATCH)
  frames.push(Buffer.concat(panelLines.slice(i, i + BATCH).map((line) => frameOctetCounting(line))));

/** One reference round: the frames over a new connection, each write awaited; answers its figures and bytes. */
async function referenceRound() {
  const offset = (await stat(rsyslog.file)).size;
  let rsyslogCpuAtFirst = 0;
  const follow = await followDrain(rsyslog.file, offset, () => {
    rsyslogCpuAtFirst = namedProcessesCpuSeconds('rsyslogd');
  });
  const selfBefore = process.cpuUsage();
  const socket = connect({ host: '127.0.0.1', port: rsyslog.tcpPort });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  for (const frame of frames) await writeFrames(socket, frame);
  await follow.tail.waitFor(panelLines.length, IDLE_TIMEOUT_MS);
  const rsyslogCpuSeconds = namedProcessesCpuSeconds('rsyslogd') - rsyslogCpuAtFirst;
  const self = process.cpuUsage(selfBefore);
  socket.end();
  await follow.tail.stop();
  const figures = drainFigures(follow.tail, follow.firstChunk());
  const text = (await readFile(rsyslog.file)).subarray(offset).toString('utf8');
  return {
    ...figures,
    rsyslogCpuPercent: (rsyslogCpuSeconds / figures.seconds) * 100,
    clientCpuPercent: ((self.user + self.system) / 1e6 / figures.seconds) * 100,
    identical: text === `${panelLines.join('\n')}\n`,
  };
}

const rounds: Awaited<ReturnType<typeof referenceRound>>[] = [];
for (let round = 1; round <= REFERENCE_ROUNDS; round++) {
  rounds.push(await referenceRound());
  const last = rounds.at(-1) as (typeof rounds)[number];
  progress(
    `reference ${round}/${REFERENCE_ROUNDS}: ${last.lines} lines in ${last.seconds.toFixed(2)} s = ` +
      `${Math.round(last.perSec)} messages/s`,
  );
}
const byRate = [...rounds].sort((a, b) => a.perSec - b.perSec);
const reference = byRate[Math.floor(byRate.length / 2)] as (typeof rounds)[number];
const identical = rounds.every((round) => round.identical);

const r = roundFigure;
const messageBytes = panelLines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) / panelLines.length;
const pass =
  drained.perSec >= TARGET_PER_SEC &&
  missing === 0 &&
  (lag?.pending ?? -1) === 0 &&
  drained.lines >= MESSAGES;
const dbName = database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite';
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    messagesPerSec: r(drained.perSec),
    messages: MESSAGES,
    drainSeconds: r(drained.seconds),
    linesWritten: received.length,
    missing,
    duplicates,
    pendingAfter: lag?.pending ?? -1,
    deliveredCounted: lag?.delivered ?? -1,
    meanMessageBytes: r(messageBytes),
    panelCpuPercent: r((panelCpuSeconds / drained.seconds) * 100),
    panelCpuMicrosPerMessage: r((panelCpuSeconds * 1e6) / MESSAGES),
    rsyslogCpuPercent: r((rsyslogCpuSeconds / drained.seconds) * 100),
    ...(database.kind === 'postgres'
      ? { postgresCpuPercent: r((postgresCpuSeconds / drained.seconds) * 100) }
      : {}),
    referenceIdenticalBytes: identical ? 1 : 0,
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what:
      `the same ${MESSAGES} messages (the lines the panel's exporter had sent, read back from rsyslog's file), ` +
      `octet-counted, written by a bare node:net client to the same rsyslog over one TCP connection, ${BATCH} ` +
      `per write, each write awaited (as the exporter's transport does); median of ${REFERENCE_ROUNDS} rounds`,
    figures: {
      messagesPerSec: r(reference.perSec),
      seconds: r(reference.seconds),
      rsyslogCpuPercent: r(reference.rsyslogCpuPercent),
      clientCpuPercent: r(reference.clientCpuPercent),
      rounds: rounds.map((round) => r(round.perSec)),
    },
  },
  ratio: r(drained.perSec / reference.perSec),
  target: {
    description: `≥ ${TARGET_PER_SEC} messages/s from the panel's exporter into rsyslog over TCP, none lost (${dbName})`,
    value: TARGET_PER_SEC,
  },
  pass,
  method:
    `rsyslogd 8 started by @palisade/testkit's startRsyslog (imtcp with octet counting, main queue 200,000, ` +
    `%rawmsg% to a file through omfile, rate limits off). Panel as \`palisade server\` (--log-level info), ` +
    `database ${dbName}; a syslog exporter created over POST /v1/siem/exporters (TCP, ${PAYLOAD.toUpperCase()} ` +
    `payload, minSeverity 0) to rsyslog; then the panel stopped and ${MESSAGES} device events (the mix of ` +
    `bench/lib/security-event-mix.ts from 32 devices, shaped as the ingest queues them: message and typed ` +
    `fields in the body) inserted into siem_outbox in one transaction with ExporterQueue.enqueueIn's statement, ` +
    `and the panel started again with rsyslog stopped; ${SETTLE_SECONDS} s after it is ready (its start-up work, ` +
    `e.g. PGlite's WASM compilation, done; the exporter meanwhile failing and backing off) rsyslog starts again ` +
    `on the same port, and at its next retry the ExporterWorker (one lease, batches of ${BATCH}: read, format ` +
    `RFC 5424 + ${PAYLOAD.toUpperCase()}, one octet-counted write, delete the batch, renew the lease) drains the ` +
    `whole queue. This process follows rsyslog's file (inotify + 10 ms poll): messagesPerSec = lines after the ` +
    `first read ÷ time from the first read to the last; the same for the reference. Checked: every event's ID ` +
    `is in the file, the exporter's lag shows nothing pending (GET /v1/siem/exporters), and the reference wrote ` +
    `byte for byte what the panel wrote. CPU over the drain: the panel${database.kind === 'postgres' ? ', every postgres process' : ' (PGlite included)'}, rsyslogd. ` +
    `ratio = messagesPerSec ÷ the reference's.`,
});
