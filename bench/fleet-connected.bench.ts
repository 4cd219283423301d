/**
 * fleet-connected: what one panel process pays to hold a connected fleet —
 * every device enrolled, its push channel (WebSocket over mutual TLS) open,
 * checking in every 30 s. Resident memory per device and CPU at steady
 * state, against a bare Node TLS server holding as many idle mutual-TLS
 * connections, measured in the same run. See bench/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBareTlsClients, startBareTlsServer } from './lib/bare-tls-peer.ts';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { type FleetCounters, type FleetSimulator, startFleetSimulator } from './lib/fleet-simulator.ts';
import { callJson } from './lib/https-json.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import { requireStatusBytes } from './lib/process-memory.ts';
import { progressReporter } from './lib/progress.ts';
import { selfSignedP256 } from './lib/self-signed-tls.ts';
import { median, roundFigure } from './lib/stats.ts';
import { establishedOnPort } from './lib/tcp-connections.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'fleet-connected';
const env = process.env;
const DEVICES = Number(env.BENCH_FLEET_DEVICES ?? 10_000);
/** Devices per simulator process: one process of 10,000 spends most of a core on its own timers and TLS. */
const PER_PROCESS = Number(env.BENCH_FLEET_DEVICES_PER_PROCESS ?? 5_000);
const WARMUP_DEVICES = Number(env.BENCH_FLEET_WARMUP_DEVICES ?? 100);
const ENROLL_CONCURRENCY = Number(env.BENCH_FLEET_ENROLL_CONCURRENCY ?? 16);
const EVENTS_PER_MINUTE = Number(env.BENCH_FLEET_EVENTS_PER_MINUTE ?? 0);
const SETTLE_SECONDS = Number(env.BENCH_FLEET_SETTLE_SECONDS ?? 30);
const STEADY_SECONDS = Number(env.BENCH_STEADY_SECONDS ?? 60);
const ENROLL_TIMEOUT_SECONDS = Number(env.BENCH_FLEET_ENROLL_TIMEOUT_SECONDS ?? 1800);
const HEARTBEAT_SECONDS = 30;
const TARGET_KIB_PER_DEVICE = 40;
const TARGET_CPU_PERCENT = 25;
const SIMULATOR_HEAP_MIB = 8192;
const KIB = 1024;
const MIB = 1024 * 1024;

const progress = progressReporter(NAME);

/** RSS (and anonymous RSS) of a process, sampled every second for `seconds`: the medians. */
async function sampleRss(pid: number, what: string, seconds: number) {
  const rss: number[] = [];
  const anon: number[] = [];
  for (let i = 0; i < seconds; i++) {
    rss.push(requireStatusBytes(pid, 'VmRSS', what));
    anon.push(requireStatusBytes(pid, 'RssAnon', what));
    await sleep(1000);
  }
  return { rss: median(rss), anon: median(anon), samples: rss };
}

function cpuOf(pid: number, what: string): number {
  const seconds = processCpuSeconds(pid);
  if (seconds === undefined) throw new Error(`no /proc/${pid}/stat for ${what}`);
  return seconds;
}

function sum(simulators: readonly FleetSimulator[], key: keyof Omit<FleetCounters, 'phase'>): number {
  return simulators.reduce((total, s) => total + Number(s.latest()?.[key] ?? 0), 0);
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const secrets = benchSecrets();
progress(`starting the panel (${database.description}, --heartbeat ${HEARTBEAT_SECONDS})`);
const panel = await startPanelProcess({
  dataDir: join(work.path, 'data'),
  secrets,
  logPrefix: join(work.path, 'panel'),
  serverArgs: ['--heartbeat', String(HEARTBEAT_SECONDS)],
  // BENCH_CPU_PROF=<dir>: a CPU profile of the panel, written when it stops (right after the steady window).
  ...(env.BENCH_CPU_PROF ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] } : {}),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
});
await using _panel = panel;
if (panel.database !== database.kind)
  throw new Error(`the panel reports database ${panel.database}, expected ${database.kind}`);
const devicePort = Number(new URL(panel.deviceUrl).port);
const token = (
  await callJson<{ token: string }>(`${panel.operatorUrl}/v1/auth/login`, {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca: panel.rootCaPem,
  })
).json.token;
const caFile = join(work.path, 'panel-root-ca.pem');
await writeFile(caFile, panel.rootCaPem);

const simulate = (prefix: string, devices: number) =>
  startFleetSimulator({
    operatorUrl: panel.operatorUrl,
    caFile,
    token,
    deviceUrls: [panel.deviceUrl],
    devices,
    prefix,
    eventsPerMinute: EVENTS_PER_MINUTE,
    enrollConcurrency: ENROLL_CONCURRENCY,
    logPath: join(work.path, `simulate-${prefix}.log`),
    maxOldSpaceMiB: SIMULATOR_HEAP_MIB,
  });

// Warm-up: a small fleet enrolls, connects and leaves, so that the baseline already holds the code
// (JIT, lazily loaded modules) and the caches every device uses; what grows after it is per device.
progress(`warm-up: ${WARMUP_DEVICES} devices enroll, connect and leave`);
const warm = simulate('warm', WARMUP_DEVICES);
await warm.waitFor((c) => c.connected >= WARMUP_DEVICES, { timeoutMs: 300_000 });
await warm.stop();
for (let i = 0; i < 30 && establishedOnPort(devicePort) > 0; i++) await sleep(1000);
await sleep(10_000);
progress('baseline: panel RSS, 10 samples over 10 s');
const baseline = await sampleRss(panel.pid, 'the panel', 10);
progress(
  `baseline: ${(baseline.rss / MIB).toFixed(1)} MiB RSS, ${(baseline.anon / MIB).toFixed(1)} MiB anonymous`,
);

// The fleet: PER_PROCESS devices per simulator process, all started at once.
const processes = Math.max(1, Math.ceil(DEVICES / PER_PROCESS));
const shares = Array.from(
  { length: processes },
  (_, i) => Math.floor(DEVICES / processes) + (i < DEVICES % processes ? 1 : 0),
);
progress(
  `fleet: ${DEVICES} devices in ${processes} simulator process(es) (${shares.join(' + ')}), ` +
    `${ENROLL_CONCURRENCY} enrollments in flight each, ${EVENTS_PER_MINUTE} events/min per device`,
);
const fleetStarted = performance.now();
const simulators = shares.map((share, i) => simulate(`fleet${i + 1}`, share));
for (const simulator of simulators) {
  const limit = simulator.openFilesLimit();
  if (limit !== undefined && limit < (DEVICES / processes) * 2 + 256)
    progress(`warning: simulator pid ${simulator.pid} may open only ${limit} files`);
}
let enrollSeconds: number | undefined;
let lastNote = 0;
const deadline = performance.now() + ENROLL_TIMEOUT_SECONDS * 1000;
for (;;) {
  const enrolled = sum(simulators, 'enrolled');
  const connected = sum(simulators, 'connected');
  const failures = sum(simulators, 'enrollFailures');
  if (enrollSeconds === undefined && enrolled + failures >= DEVICES)
    enrollSeconds = (performance.now() - fleetStarted) / 1000;
  if (performance.now() - lastNote >= 10_000) {
    lastNote = performance.now();
    const seconds = (performance.now() - fleetStarted) / 1000;
    progress(
      `enrolled ${enrolled}/${DEVICES} (${(enrolled / seconds).toFixed(1)}/s, failed ${failures}), connected ${connected}, ` +
        `panel ${(requireStatusBytes(panel.pid, 'VmRSS', 'the panel') / MIB).toFixed(0)} MiB, ` +
        `${establishedOnPort(devicePort)} connections`,
    );
  }
  if (connected >= DEVICES - failures && enrollSeconds !== undefined) break;
  if (performance.now() > deadline)
    throw new Error(`only ${enrolled} enrolled and ${connected} connected after ${ENROLL_TIMEOUT_SECONDS} s`);
  await sleep(1000);
}
const connectSeconds = (performance.now() - fleetStarted) / 1000;
const enrollFailures = sum(simulators, 'enrollFailures');
progress(
  `all ${DEVICES - enrollFailures} enrolled after ${(enrollSeconds ?? 0).toFixed(1)} s and connected after ` +
    `${connectSeconds.toFixed(1)} s; settling ${SETTLE_SECONDS} s`,
);
await sleep(SETTLE_SECONDS * 1000);

// Steady state: nothing but check-ins every 30 s (±10 %), ws pings and the push channels held open.
progress(`steady state: sampling the panel every second for ${STEADY_SECONDS} s`);
const rss: number[] = [];
const anon: number[] = [];
const connections: number[] = [];
const connectedSamples: number[] = [];
const simulatorPids = simulators.map((s) => s.pid);
const panelCpuBefore = cpuOf(panel.pid, 'the panel');
const simulatorCpuBefore = simulatorPids.reduce((t, pid) => t + cpuOf(pid, 'a simulator'), 0);
const checkInsBefore = sum(simulators, 'checkIns');
const checkInFailuresBefore = sum(simulators, 'checkInFailures');
const windowStarted = performance.now();
const windowEnds = windowStarted + STEADY_SECONDS * 1000;
for (let tick = 0; ; tick++) {
  rss.push(requireStatusBytes(panel.pid, 'VmRSS', 'the panel'));
  anon.push(requireStatusBytes(panel.pid, 'RssAnon', 'the panel'));
  connectedSamples.push(sum(simulators, 'connected'));
  if (tick % 5 === 0) connections.push(establishedOnPort(devicePort));
  if (tick % 10 === 0)
    progress(
      `t=${tick} s: panel ${((rss.at(-1) ?? 0) / MIB).toFixed(1)} MiB, ${connections.at(-1)} connections, ` +
        `${connectedSamples.at(-1)} channels open`,
    );
  const nextAt = windowStarted + (tick + 1) * 1000;
  if (nextAt > windowEnds) break;
  await sleep(Math.max(0, nextAt - performance.now()));
}
await sleep(Math.max(0, windowEnds - performance.now()));
const windowSeconds = (performance.now() - windowStarted) / 1000;
const panelCpuPercent = ((cpuOf(panel.pid, 'the panel') - panelCpuBefore) / windowSeconds) * 100;
const simulatorCpuPercent =
  ((simulatorPids.reduce((t, pid) => t + cpuOf(pid, 'a simulator'), 0) - simulatorCpuBefore) /
    windowSeconds) *
  100;
const simulatorRss = simulatorPids.reduce((t, pid) => t + requireStatusBytes(pid, 'VmRSS', 'a simulator'), 0);
// The live lines come every 2 s, so the window's check-ins are counted to within one line's worth.
const checkInsPerSec = (sum(simulators, 'checkIns') - checkInsBefore) / windowSeconds;
const checkInFailures = sum(simulators, 'checkInFailures') - checkInFailuresBefore;
const panelPeak = requireStatusBytes(panel.pid, 'VmHWM', 'the panel');
const devicesConnected = Math.min(...connectedSamples);
const steadyRss = median(rss);
const steadyAnon = median(anon);
const panelKiBPerDevice = (steadyRss - baseline.rss) / DEVICES / KIB;
const panelAnonKiBPerDevice = (steadyAnon - baseline.anon) / DEVICES / KIB;
const connectionsHeld = Math.round(median(connections));
progress(
  `panel ${(steadyRss / MIB).toFixed(1)} MiB (baseline ${(baseline.rss / MIB).toFixed(1)}): ` +
    `${panelKiBPerDevice.toFixed(1)} KiB per device; CPU ${panelCpuPercent.toFixed(1)} % of a core; ` +
    `${checkInsPerSec.toFixed(1)} check-ins/s; ${connectionsHeld} connections held`,
);

progress('stopping the simulators and the panel');
const finals = await Promise.all(simulators.map((s) => s.stop()));
await stopPanelCleanly(panel);

// Reference: a bare Node TLS server holding as many idle mutual-TLS connections as the panel held.
progress(`reference: bare TLS server, warm-up ${WARMUP_DEVICES} connections, then ${connectionsHeld} held`);
await mkdir(join(work.path, 'bare-server'));
await mkdir(join(work.path, 'bare-client'));
const serverTls = await selfSignedP256(join(work.path, 'bare-server'));
const clientTls = await selfSignedP256(join(work.path, 'bare-client'));
await using bareServer = await startBareTlsServer({
  keyPath: serverTls.keyPath,
  certPath: serverTls.certPath,
  clientCaPath: clientTls.certPath,
});
const barePort = Number(bareServer.hello.port);
const clients = (count: number) =>
  startBareTlsClients({
    port: barePort,
    count,
    concurrency: 64,
    keyPath: clientTls.keyPath,
    certPath: clientTls.certPath,
    serverCaPath: serverTls.certPath,
    timeoutMs: 600_000,
  });
const warmClients = await clients(WARMUP_DEVICES);
await warmClients.stop();
for (let i = 0; i < 30 && establishedOnPort(barePort) > 0; i++) await sleep(1000);
await sleep(5_000);
const bareBaseline = await sampleRss(bareServer.pid, 'the bare TLS server', 5);
const bareClients = await clients(connectionsHeld);
if (bareClients.hello.failed !== 0)
  throw new Error(`reference: ${bareClients.hello.failed} of ${connectionsHeld} TLS connections failed`);
await sleep(10_000);
const bareCpuBefore = cpuOf(bareServer.pid, 'the bare TLS server');
const bareHeld = await sampleRss(bareServer.pid, 'the bare TLS server', 10);
const bareCpuPercent = ((cpuOf(bareServer.pid, 'the bare TLS server') - bareCpuBefore) / 10) * 100;
const bareConnections = establishedOnPort(barePort);
await bareClients.stop();
await bareServer.stop();
const bareKiBPerConnection = (bareHeld.rss - bareBaseline.rss) / connectionsHeld / KIB;
const bareKiBPerDevice = (bareHeld.rss - bareBaseline.rss) / DEVICES / KIB;
progress(
  `reference: ${(bareHeld.rss / MIB).toFixed(1)} MiB with ${bareConnections} connections ` +
    `(baseline ${(bareBaseline.rss / MIB).toFixed(1)}): ${bareKiBPerConnection.toFixed(2)} KiB per connection`,
);

const finalEnrolled = finals.reduce((t, f) => t + f.enrolled, 0);
const pass =
  panelKiBPerDevice <= TARGET_KIB_PER_DEVICE &&
  panelCpuPercent < TARGET_CPU_PERCENT &&
  devicesConnected === DEVICES &&
  enrollFailures === 0;
const dbName = database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite';
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    panelKiBPerDevice: roundFigure(panelKiBPerDevice),
    panelCpuPercentOfCore: roundFigure(panelCpuPercent),
    devices: DEVICES,
    devicesConnected,
    enrollSeconds: roundFigure(enrollSeconds ?? 0),
    enrollmentsPerSec: roundFigure((DEVICES - enrollFailures) / (enrollSeconds ?? 1)),
    connectSeconds: roundFigure(connectSeconds),
    enrollFailures,
    checkInsPerSec: roundFigure(checkInsPerSec),
    expectedCheckInsPerSec: roundFigure(DEVICES / HEARTBEAT_SECONDS),
    checkInFailures,
    panelAnonKiBPerDevice: roundFigure(panelAnonKiBPerDevice),
    panelKiBPerConnection: roundFigure((steadyRss - baseline.rss) / connectionsHeld / KIB),
    panelBaselineRssMiB: roundFigure(baseline.rss / MIB),
    panelSteadyRssMiB: roundFigure(steadyRss / MIB),
    panelSteadyRssMinMiB: roundFigure(Math.min(...rss) / MIB),
    panelSteadyRssMaxMiB: roundFigure(Math.max(...rss) / MIB),
    panelPeakRssMiB: roundFigure(panelPeak / MIB),
    connectionsHeld,
    connectionsSamples: connections,
    simulatorProcesses: processes,
    simulatorCpuPercent: roundFigure(simulatorCpuPercent),
    simulatorRssMiB: roundFigure(simulatorRss / MIB),
    simulatorFinalEnrolled: finalEnrolled,
    steadySeconds: roundFigure(windowSeconds),
    heartbeatSeconds: HEARTBEAT_SECONDS,
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what:
      `bare Node TLS server (tls.createServer, requestCert + rejectUnauthorized, ECDSA P-256, the panel's ` +
      `TLS groups) in its own process holding ${connectionsHeld} idle mutual-TLS connections (as many as ` +
      `the panel held) from a client process`,
    figures: {
      bareKiBPerDevice: roundFigure(bareKiBPerDevice),
      bareKiBPerConnection: roundFigure(bareKiBPerConnection),
      bareBaselineRssMiB: roundFigure(bareBaseline.rss / MIB),
      bareHeldRssMiB: roundFigure(bareHeld.rss / MIB),
      bareConnections,
      bareCpuPercentOfCore: roundFigure(bareCpuPercent),
    },
  },
  ratio: roundFigure(panelKiBPerDevice / bareKiBPerDevice),
  target: {
    description:
      `≤ ${TARGET_KIB_PER_DEVICE} KiB of panel RSS per connected device and < ${TARGET_CPU_PERCENT} % of a ` +
      `core at steady state, ${DEVICES} devices, heartbeat ${HEARTBEAT_SECONDS} s, ${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}; every device connected, no enrollment failure`,
    value: TARGET_KIB_PER_DEVICE,
  },
  pass,
  method:
    `Panel started as \`palisade server --heartbeat ${HEARTBEAT_SECONDS}\` (log level info, to a file) on ` +
    `${dbName}. Devices are \`palisade simulate\` (virtual agents with in-memory P-256 keys: EST enrollment ` +
    `with a one-time token registered through the operator API, then a mutual-TLS kept-alive HTTPS client ` +
    `for check-ins and a WebSocket push channel), each simulator its own process (soft open-files limit ` +
    `raised to the hard one, --max-old-space-size=${SIMULATOR_HEAP_MIB}). Warm-up: ${WARMUP_DEVICES} devices ` +
    `enroll, connect and leave; after their connections close and 10 s, the baseline is the median of 10 ` +
    `VmRSS samples (1 s apart). Then ${DEVICES} devices in ${processes} simulator process(es) ` +
    `(${ENROLL_CONCURRENCY} enrollments in flight each, ${EVENTS_PER_MINUTE} events/min/device; each device ` +
    `still delivers its start-up inventory): enrollSeconds = start → every device enrolled, ` +
    `connectSeconds = start → every push channel open (the simulators' live counters). After ` +
    `${SETTLE_SECONDS} s of settling, the panel is sampled every second for ${STEADY_SECONDS} s ` +
    `(${roundFigure(STEADY_SECONDS / HEARTBEAT_SECONDS)} heartbeats): panelKiBPerDevice = (median VmRSS − baseline) ÷ devices; CPU = utime+stime from ` +
    `/proc/<pid>/stat over the window ÷ wall time${database.kind === 'postgres' ? ' (PostgreSQL backends not included)' : ' (PGlite runs inside the panel process)'}; ` +
    `checkInsPerSec from the simulators' counters over the window; connectionsHeld = median of established ` +
    `TCP connections on the device port (/proc/net/tcp, every 5 s): the push channels plus the check-in ` +
    `connections still kept alive (the panel closes idle keep-alive connections after 10 s, so a device ` +
    `holds its second connection about a third of the time). devicesConnected = the least number of open ` +
    `push channels the simulators reported during the window. The simulators share the machine's cores ` +
    `with the panel (simulatorCpuPercent). Reference, after the panel stopped: a bare Node TLS server ` +
    `(bench/lib/bare-tls-peer.ts) in its own process, warm-up of ${WARMUP_DEVICES} connections that close, ` +
    `baseline (median of 5 samples), then a client process opens connectionsHeld mutual-TLS connections ` +
    `(64 handshakes at a time) and holds them idle; after 10 s, the median of 10 samples. ` +
    `bareKiBPerDevice = (held − baseline) ÷ devices (the same connections per device as the panel), ` +
    `bareKiBPerConnection = the same ÷ connections. ratio = panelKiBPerDevice ÷ bareKiBPerDevice: what the ` +
    `panel holds per device beyond what Node's TLS alone needs for the same sockets.`,
});
