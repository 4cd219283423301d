/**
 * enrollment-storm: a whole fleet enrolling at once against a fresh panel —
 * how long until every device is enrolled, and whether any gives up. The
 * reference, in the same run on the same panel: a small fleet enrolling at
 * the simulator's default concurrency. See bench/README.md.
 */
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { type FleetCounters, type FleetSimulator, startFleetSimulator } from './lib/fleet-simulator.ts';
import { callJson } from './lib/https-json.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import { statusBytes } from './lib/process-memory.ts';
import { progressReporter } from './lib/progress.ts';
import { type RouteAnswers, requestLogSince } from './lib/request-log.ts';
import { percentile, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'enrollment-storm';
const env = process.env;
const DEVICES = Number(env.BENCH_STORM_DEVICES ?? 10_000);
/** Enrollments in flight across the storm's simulator processes. */
const CONCURRENCY = Number(env.BENCH_STORM_CONCURRENCY ?? 500);
const PER_PROCESS = Number(env.BENCH_STORM_DEVICES_PER_PROCESS ?? 5_000);
const REFERENCE_DEVICES = Number(env.BENCH_STORM_REFERENCE_DEVICES ?? 200);
/** `palisade simulate`'s default --enroll-concurrency. */
const REFERENCE_CONCURRENCY = 16;
const TIMEOUT_SECONDS = Number(env.BENCH_STORM_TIMEOUT_SECONDS ?? 1200);
const SIMULATOR_HEAP_MIB = 8192;
const EST_ROUTE = '/.well-known/est/simpleenroll';
const MIB = 1024 * 1024;

const progress = progressReporter(NAME);

function sum(simulators: readonly FleetSimulator[], key: keyof Omit<FleetCounters, 'phase'>): number {
  return simulators.reduce((total, s) => total + Number(s.latest()?.[key] ?? 0), 0);
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const secrets = benchSecrets();
progress(`starting the panel (${database.description})`);
const panel = await startPanelProcess({
  dataDir: join(work.path, 'data'),
  secrets,
  logPrefix: join(work.path, 'panel'),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
});
await using _panel = panel;
if (panel.database !== database.kind)
  throw new Error(`the panel reports database ${panel.database}, expected ${database.kind}`);
const token = (
  await callJson<{ token: string }>(`${panel.operatorUrl}/v1/auth/login`, {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca: panel.rootCaPem,
  })
).json.token;
const caFile = join(work.path, 'panel-root-ca.pem');
await writeFile(caFile, panel.rootCaPem);

/**
 * Simulators for `devices` devices, `concurrency` enrollments in flight in
 * all; resolves when every device has enrolled or given up, with the time
 * that took (from the simulators' live counters, every 2 s, so ± 2 s).
 */
async function enrollFleet(prefix: string, devices: number, concurrency: number) {
  const processes = Math.max(1, Math.ceil(devices / PER_PROCESS));
  const simulators = Array.from({ length: processes }, (_, i) => {
    const share = Math.floor(devices / processes) + (i < devices % processes ? 1 : 0);
    const inFlight = Math.floor(concurrency / processes) + (i < concurrency % processes ? 1 : 0);
    return startFleetSimulator({
      operatorUrl: panel.operatorUrl,
      caFile,
      token,
      deviceUrls: [panel.deviceUrl],
      devices: share,
      prefix: processes === 1 ? prefix : `${prefix}${i + 1}`,
      eventsPerMinute: 0,
      enrollConcurrency: Math.max(1, inFlight),
      logPath: join(work.path, `simulate-${prefix}${i + 1}.log`),
      maxOldSpaceMiB: SIMULATOR_HEAP_MIB,
    });
  });
  const logFrom = statSync(panel.stdoutPath).size;
  const cpuBefore = processCpuSeconds(panel.pid) ?? 0;
  const started = performance.now();
  let peakRss = 0;
  let lastNote = 0;
  let timedOut = false;
  const deadline = started + TIMEOUT_SECONDS * 1000;
  for (;;) {
    const enrolled = sum(simulators, 'enrolled');
    const failed = sum(simulators, 'enrollFailures');
    peakRss = Math.max(peakRss, statusBytes(panel.pid, 'VmRSS') ?? 0);
    if (enrolled + failed >= devices) break;
    if (performance.now() - lastNote >= 10_000) {
      lastNote = performance.now();
      const seconds = (performance.now() - started) / 1000;
      progress(
        `${prefix}: enrolled ${enrolled}/${devices} (${(enrolled / seconds).toFixed(1)}/s), failed ${failed}, ` +
          `panel ${((statusBytes(panel.pid, 'VmRSS') ?? 0) / MIB).toFixed(0)} MiB`,
      );
    }
    for (const simulator of simulators)
      if (simulator.latest() === undefined && performance.now() - started > 60_000)
        throw new Error(`a simulator (pid ${simulator.pid}) said nothing for 60 s`);
    if (performance.now() > deadline) {
      // A result, not a crash: how far the fleet got is the finding.
      progress(
        `${prefix}: only ${enrolled + failed} of ${devices} done after ${TIMEOUT_SECONDS} s; stopping`,
      );
      timedOut = true;
      break;
    }
    await sleep(250);
  }
  const seconds = (performance.now() - started) / 1000;
  const panelCpuSeconds = (processCpuSeconds(panel.pid) ?? 0) - cpuBefore;
  const finals = await Promise.all(simulators.map((s) => s.stop()));
  const enrolled = finals.reduce((t, f) => t + f.enrolled, 0);
  const failures = finals.reduce((t, f) => t + f.enrollFailures, 0);
  const log = await requestLogSince(panel.stdoutPath, logFrom);
  return { seconds, enrolled, failures, panelCpuSeconds, peakRss, log, processes, timedOut };
}

progress(`reference: ${REFERENCE_DEVICES} devices, ${REFERENCE_CONCURRENCY} enrollments in flight`);
const reference = await enrollFleet('ref', REFERENCE_DEVICES, REFERENCE_CONCURRENCY);
const referencePerSec = reference.enrolled / reference.seconds;
progress(
  `reference: ${reference.enrolled} enrolled in ${reference.seconds.toFixed(1)} s = ${referencePerSec.toFixed(1)}/s`,
);
await sleep(5_000);

progress(`storm: ${DEVICES} devices, ${CONCURRENCY} enrollments in flight`);
const storm = await enrollFleet('storm', DEVICES, CONCURRENCY);
const stormPerSec = storm.enrolled / storm.seconds;
progress(
  `storm: ${storm.enrolled} enrolled in ${storm.seconds.toFixed(1)} s = ${stormPerSec.toFixed(1)}/s, ${storm.failures} failed`,
);
await stopPanelCleanly(panel);

const empty: RouteAnswers = { requests: 0, statuses: {}, responseMs: [] };
const est = storm.log.get(EST_ROUTE) ?? empty;
const registrations = storm.log.get('/v1/devices') ?? empty;
const tokens = storm.log.get('/v1/devices/:id/enrollment-token') ?? empty;
const count = (answers: RouteAnswers, match: (status: number) => boolean) =>
  Object.entries(answers.statuses).reduce((t, [status, n]) => t + (match(Number(status)) ? n : 0), 0);
const retryAnswers = [est, registrations, tokens].reduce(
  (t, answers) => t + count(answers, (s) => s === 429 || s === 503),
  0,
);
const estErrors = count(est, (s) => s >= 400);
const p = (samples: readonly number[], q: number) =>
  samples.length === 0 ? 0 : roundFigure(percentile(samples, q));
const statusSummary = (answers: RouteAnswers) =>
  Object.entries(answers.statuses)
    .map(([status, n]) => `${status}×${n}`)
    .join(', ') || 'none';
progress(
  `panel log: simpleenroll ${est.requests} requests (${statusSummary(est)}), POST /v1/devices ` +
    `(${statusSummary(registrations)}), enrollment-token (${statusSummary(tokens)})`,
);

const pass = storm.failures === 0 && storm.enrolled === DEVICES;
const dbName = database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite';
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    secondsToAllEnrolled: roundFigure(storm.seconds),
    enrollmentsPerSec: roundFigure(stormPerSec),
    errors: storm.failures,
    enrolled: storm.enrolled,
    completed: storm.timedOut ? 0 : 1,
    devices: DEVICES,
    concurrency: CONCURRENCY,
    simulatorProcesses: storm.processes,
    retryAnswers,
    estRequests: est.requests,
    estRetriedRequests: Math.max(0, est.requests - storm.enrolled),
    estErrorAnswers: estErrors,
    estP50Ms: p(est.responseMs, 50),
    estP99Ms: p(est.responseMs, 99),
    estMaxMs: roundFigure(Math.max(0, ...est.responseMs)),
    registerP99Ms: p(registrations.responseMs, 99),
    tokenP99Ms: p(tokens.responseMs, 99),
    panelCpuPercent: roundFigure((storm.panelCpuSeconds / storm.seconds) * 100),
    panelCpuMsPerEnrollment: roundFigure((storm.panelCpuSeconds * 1000) / Math.max(1, storm.enrolled)),
    panelPeakRssMiB: roundFigure(storm.peakRss / MIB),
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what:
      `the same panel, before the storm: ${REFERENCE_DEVICES} devices enrolling through one \`palisade simulate\` ` +
      `at its default --enroll-concurrency ${REFERENCE_CONCURRENCY}`,
    figures: {
      referenceEnrollmentsPerSec: roundFigure(referencePerSec),
      referenceSeconds: roundFigure(reference.seconds),
      referenceErrors: reference.failures,
      referenceEstP50Ms: p(reference.log.get(EST_ROUTE)?.responseMs ?? [], 50),
      referencePanelCpuMsPerEnrollment: roundFigure(
        (reference.panelCpuSeconds * 1000) / Math.max(1, reference.enrolled),
      ),
    },
  },
  ratio: roundFigure(stormPerSec / referencePerSec),
  target: {
    description: `${DEVICES} devices enrolling at once (${CONCURRENCY} in flight): every one enrolled, zero errors, client retries honoured`,
    value: 0,
  },
  pass,
  method:
    `Panel started as \`palisade server\` (defaults, log level info to a file) on ${dbName}, empty. Devices ` +
    `are \`palisade simulate --events-per-minute 0 --json\` processes (virtual agents with in-memory P-256 ` +
    `keys; each worker registers a device with POST /v1/devices, makes a one-time token with POST ` +
    `/v1/devices/<id>/enrollment-token through the operator API, then enrolls over EST simpleenroll with the ` +
    `token and the TLS channel binding on a new TLS connection, and, once enrolled, opens its push channel ` +
    `and checks in). The simulator retries an enrollment on 429/503 and on network errors with backoff ` +
    `(from 500 ms up to 20 s, 8 attempts) and honours Retry-After on 202; anything else, or 8 failed ` +
    `attempts, is an error (enrollFailures); a failed registration or token call is an error at once (not retried). Reference first: ${REFERENCE_DEVICES} devices, one simulator, ` +
    `${REFERENCE_CONCURRENCY} in flight. Storm: ${DEVICES} devices in ${storm.processes} simulator ` +
    `process(es) of at most ${PER_PROCESS} devices (--max-old-space-size=${SIMULATOR_HEAP_MIB}), ` +
    `${CONCURRENCY} workers in all, started together. secondsToAllEnrolled = start → every device enrolled ` +
    `or given up (the simulators' live counters, every 2 s, polled every 250 ms); a storm not done after ` +
    `${TIMEOUT_SECONDS} s (BENCH_STORM_TIMEOUT_SECONDS) is stopped and reported with completed 0, its ` +
    `secondsToAllEnrolled then being only a lower bound. From the panel's request ` +
    `log over the storm: answers by status per route; retryAnswers = 429 or 503 answers to the three ` +
    `enrollment calls (what the simulator would retry; network errors it retries too never reach the log); ` +
    `estRetriedRequests = simpleenroll requests beyond one per enrolled device; latency = Fastify's ` +
    `responseTime (server side, queueing in the event loop not included). Panel CPU from /proc/<pid>/stat` +
    `${database.kind === 'postgres' ? ' (PostgreSQL backends not included)' : ''}. The simulators share ` +
    `the two cores with the panel. ratio = storm enrollments/s ÷ reference enrollments/s.`,
});
