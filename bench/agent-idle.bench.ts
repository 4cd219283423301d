/**
 * agent-idle: what `palisade agent` costs an endpoint while nothing happens:
 * resident memory and CPU of an enrolled agent (software root of trust,
 * online, push channel open, start-up inventory delivered) over a quiet
 * window, compared with a bare `node -e 'setInterval(()=>{},1e3)'` of the
 * same binary sampled over the same window. Then, to show where the memory
 * goes, the RSS of processes that only import parts of the agent. See
 * bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { prepareBenchAgent, waitForAgentOnline } from './lib/agent-driver.ts';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { machineFacts } from './lib/machine.ts';
import { ownChild } from './lib/owned-children.ts';
import { benchSecrets, REPO_ROOT, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { median, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'agent-idle';
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
/** Both processes run this long before the window opens, so that neither is measured mid-start. */
const SETTLE_SECONDS = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 5);
const SAMPLE_MS = 1000;
const TARGET_RSS_RATIO = 1.6;
const TARGET_CPU_PERCENT = 0.5;
const BARE_SCRIPT = 'setInterval(()=>{},1e3)';
const CLI_MAIN = join(REPO_ROOT, 'packages/cli/src/main.ts');
const AGENT_BUNDLE = join(REPO_ROOT, 'dist/agent/palisade-agent.mjs');
/**
 * `bundle` (default): the agent as devices run it, `npm run build:agent`'s single JavaScript file;
 * `source`: straight from the TypeScript sources, as in development (type stripping costs memory).
 */
const AGENT_FORM = process.env.BENCH_AGENT_FORM === 'source' ? 'source' : 'bundle';
const MIB = 1024 * 1024;

const progress = progressReporter(NAME);

/** A `kB` line of /proc/<pid>/status (VmRSS, RssAnon, RssFile, VmHWM), in bytes; undefined once the process is gone. */
function statusBytes(pid: number, field: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

function requireBytes(pid: number, field: string, what: string): number {
  const value = statusBytes(pid, field);
  if (value === undefined) throw new Error(`${what} (pid ${pid}) has no ${field}: did it exit?`);
  return value;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (exited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * RSS of a Node process (same binary) that runs `code` as an ES module,
 * prints "ready" and then idles on a timer: median of 3 readings taken
 * 2–3 s after "ready", when module loading has settled.
 */
async function importRss(code: string): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `${code}\nprocess.stdout.write('ready\\n');\n${BARE_SCRIPT};`],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  ownChild(child);
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => reject(new Error(`import probe exited with ${exitCode}: ${code}`)));
    lines.once('line', () => resolve());
  });
  lines.close();
  child.stdout.resume();
  await sleep(2000);
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    readings.push(requireBytes(child.pid as number, 'VmRSS', 'import probe'));
    await sleep(500);
  }
  child.kill('SIGTERM');
  await exitOf(child);
  return median(readings);
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

const deviceId = 'bench-idle-1';
const files = await prepareBenchAgent({
  operatorUrl: panel.operatorUrl,
  deviceUrl: panel.deviceUrl,
  rootCaPem: panel.rootCaPem,
  adminPassword: secrets.adminPassword,
  deviceId,
  dir: work.path,
});

// The agent exactly as an endpoint runs it: the `palisade` CLI, its configuration file, logs at info.
// Hermetic like the panel: no PALISADE_* setting of the caller's shell leaks in.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('PALISADE_')),
);
const agentLog = join(work.path, 'agent.log');
const agentOut = openSync(agentLog, 'w');
progress(`starting palisade agent --config ${files.configPath}`);
const agentStarted = performance.now();
if (AGENT_FORM === 'bundle') {
  progress('building dist/palisade-agent.mjs (npm run build:agent)');
  await new Promise<void>((resolve, reject) => {
    const build = spawn(process.execPath, [join(REPO_ROOT, 'scripts/build-agent.ts')], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    build.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`build:agent failed (${code})`)),
    );
  });
}
const agentArgs =
  AGENT_FORM === 'bundle'
    ? [AGENT_BUNDLE, '--config', files.configPath]
    : [CLI_MAIN, 'agent', '--config', files.configPath];
const agent = spawn(process.execPath, agentArgs, {
  cwd: REPO_ROOT,
  env,
  stdio: ['ignore', agentOut, agentOut],
});
closeSync(agentOut);
ownChild(agent);
const agentExit = exitOf(agent);
const agentPid = agent.pid as number;
try {
  await waitForAgentOnline({
    operatorUrl: panel.operatorUrl,
    rootCaPem: panel.rootCaPem,
    adminToken: files.adminToken,
    deviceId,
    timeoutMs: 60_000,
    giveUp: () => (exited(agent) ? `the agent exited (code ${agent.exitCode})` : undefined),
  });
} catch (error) {
  const log = await readFile(agentLog, 'utf8').catch(() => '');
  throw new Error(`${(error as Error).message}\nagent log:\n${log.split('\n').slice(-15).join('\n')}`);
}
const agentReadyMs = performance.now() - agentStarted;
progress(`agent enrolled, online, channel open, inventory stored after ${Math.round(agentReadyMs)} ms`);

const bare = spawn(process.execPath, ['-e', BARE_SCRIPT], { cwd: REPO_ROOT, stdio: 'ignore' });
ownChild(bare);
const barePid = bare.pid as number;
progress(`bare node started; settling ${SETTLE_SECONDS} s, then sampling both for ${IDLE_SECONDS} s`);
await sleep(SETTLE_SECONDS * 1000);

const cpuAt = (pid: number, what: string) => {
  const seconds = processCpuSeconds(pid);
  if (seconds === undefined) throw new Error(`no /proc/${pid}/stat for ${what}`);
  return seconds;
};
const agentRss: number[] = [];
const agentAnon: number[] = [];
const bareRss: number[] = [];
const bareAnon: number[] = [];
const agentCpuBefore = cpuAt(agentPid, 'the agent');
const bareCpuBefore = cpuAt(barePid, 'bare node');
const windowStarted = performance.now();
const windowEnds = windowStarted + IDLE_SECONDS * 1000;
for (let tick = 0; ; tick++) {
  agentRss.push(requireBytes(agentPid, 'VmRSS', 'the agent'));
  agentAnon.push(requireBytes(agentPid, 'RssAnon', 'the agent'));
  bareRss.push(requireBytes(barePid, 'VmRSS', 'bare node'));
  bareAnon.push(requireBytes(barePid, 'RssAnon', 'bare node'));
  if (tick % 10 === 0)
    progress(
      `t=${tick} s: agent ${((agentRss.at(-1) ?? 0) / MIB).toFixed(1)} MiB, bare ${((bareRss.at(-1) ?? 0) / MIB).toFixed(1)} MiB`,
    );
  const nextAt = windowStarted + (tick + 1) * SAMPLE_MS;
  if (nextAt > windowEnds) break;
  await sleep(Math.max(0, nextAt - performance.now()));
}
await sleep(Math.max(0, windowEnds - performance.now()));
const windowSeconds = (performance.now() - windowStarted) / 1000;
const agentCpuPercent = ((cpuAt(agentPid, 'the agent') - agentCpuBefore) / windowSeconds) * 100;
const bareCpuPercent = ((cpuAt(barePid, 'bare node') - bareCpuBefore) / windowSeconds) * 100;
const agentPeak = requireBytes(agentPid, 'VmHWM', 'the agent');
const agentThreads = Number(
  /^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${agentPid}/status`, 'utf8'))?.[1],
);
bare.kill('SIGTERM');
await exitOf(bare);

// Where the memory goes: the same binary, importing cumulatively more of what `palisade agent` loads, so
// that each step's difference over the previous one is what that step adds (shared modules counted once).
progress('breakdown: RSS of processes that only import parts of the agent');
const emptyTs = join(work.path, 'empty.mts');
await writeFile(emptyTs, 'export {};\n');
/** The agent's third-party dependencies (packages/agent/package.json) other than PKCS#11, and @palisade/core. */
const AGENT_DEPENDENCIES = [
  'reflect-metadata',
  '@peculiar/x509',
  '@peculiar/asn1-schema',
  '@peculiar/asn1-x509',
  '@peculiar/asn1-csr',
  'pino',
  'ws',
  'yaml',
  '@palisade/core',
];
const importAll = (specifiers: readonly string[]) =>
  specifiers.map((specifier) => `await import(${JSON.stringify(specifier)});`).join(' ');
const steps = [
  pathToFileURL(emptyTs).href,
  ...AGENT_DEPENDENCIES,
  '@palisade/pkcs11',
  '@palisade/agent',
  pathToFileURL(join(REPO_ROOT, 'packages/cli/src/run-cli.ts')).href,
];
const upTo = (last: string) => importAll(steps.slice(0, steps.indexOf(last) + 1));
const probes = {
  importTypeScriptRssMiB: upTo(pathToFileURL(emptyTs).href),
  importDependenciesRssMiB: upTo('@palisade/core'),
  importPkcs11RssMiB: upTo('@palisade/pkcs11'),
  importAgentRssMiB: upTo('@palisade/agent'),
  importCliRssMiB: importAll(steps),
};
const breakdown: Record<string, number> = {};
for (const [key, code] of Object.entries(probes)) {
  breakdown[key] = (await importRss(code)) / MIB;
  progress(`${key}: ${breakdown[key]?.toFixed(1)} MiB`);
}

// The agent must still be up and stop cleanly: a crashed agent would have been "idle" for the wrong reason.
if (exited(agent)) throw new Error(`the agent exited during the window (code ${agent.exitCode})`);
agent.kill('SIGTERM');
const agentStop = await agentExit;
if (agentStop.code !== 0)
  throw new Error(`the agent did not stop cleanly (code ${agentStop.code}, signal ${agentStop.signal})`);
await stopPanelCleanly(panel);

const agentRssMiB = median(agentRss) / MIB;
const bareRssMiB = median(bareRss) / MIB;
const rssRatio = agentRssMiB / bareRssMiB;
const pass = rssRatio <= TARGET_RSS_RATIO && agentCpuPercent < TARGET_CPU_PERCENT;
const b = (key: keyof typeof probes) => breakdown[key] ?? 0;
const mib = (value: number) => roundFigure(value);
progress(
  `agent ${agentRssMiB.toFixed(1)} MiB vs bare ${bareRssMiB.toFixed(1)} MiB = ${rssRatio.toFixed(2)}×; ` +
    `CPU agent ${agentCpuPercent.toFixed(3)} %, bare ${bareCpuPercent.toFixed(3)} % of a core`,
);

emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    agentRssMiB: mib(agentRssMiB),
    rssRatio: roundFigure(rssRatio),
    agentRssMaxMiB: mib(Math.max(...agentRss) / MIB),
    agentRssMinMiB: mib(Math.min(...agentRss) / MIB),
    agentCpuPercentOfCore: roundFigure(agentCpuPercent),
    bareRssMiB: mib(bareRssMiB),
    bareCpuPercentOfCore: roundFigure(bareCpuPercent),
    agentRssAnonMiB: mib(median(agentAnon) / MIB),
    bareRssAnonMiB: mib(median(bareAnon) / MIB),
    agentPeakRssMiB: mib(agentPeak / MIB),
    agentThreads,
    importTypeScriptRssMiB: mib(b('importTypeScriptRssMiB')),
    importDependenciesRssMiB: mib(b('importDependenciesRssMiB')),
    importPkcs11RssMiB: mib(b('importPkcs11RssMiB')),
    importAgentRssMiB: mib(b('importAgentRssMiB')),
    importCliRssMiB: mib(b('importCliRssMiB')),
    idleSeconds: roundFigure(windowSeconds),
    samples: agentRss.length,
    agentReadyMs: roundFigure(agentReadyMs),
    postgres: database.kind === 'postgres' ? 1 : 0,
    bundled: AGENT_FORM === 'bundle' ? 1 : 0,
  },
  reference: {
    what: `bare \`node -e '${BARE_SCRIPT}'\`, same binary, sampled over the same window`,
    figures: { bareRssMiB: mib(bareRssMiB), bareCpuPercentOfCore: roundFigure(bareCpuPercent) },
  },
  ratio: roundFigure(rssRatio),
  target: {
    description: `agent RSS ≤ ${TARGET_RSS_RATIO}× bare node and CPU < ${TARGET_CPU_PERCENT} % of a core`,
    value: TARGET_RSS_RATIO,
  },
  pass,
  method:
    `Panel started as \`palisade server\` (defaults: heartbeat 60 s) on ` +
    `${database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite'}; a device registered ` +
    `with POST /v1/devices and a one-time enrollment token; the agent started as ` +
    (AGENT_FORM === 'bundle'
      ? `devices run it, \`node dist/agent/palisade-agent.mjs --config agent.yaml\` (built by npm run build:agent first; BENCH_AGENT_FORM=source runs the TypeScript sources instead)`
      : `in development, \`node packages/cli/src/main.ts agent --config agent.yaml\``) +
    ` (software root of trust, log level info, inventory ` +
    `every 300 s, logs to a file). Timed from spawn until GET /v1/devices/<id>/presence says online with ` +
    `channelConnections 1 and GET /v1/devices/<id>/inventory holds the start-up inventory (agentReadyMs). ` +
    `Then a bare \`node -e '${BARE_SCRIPT}'\` (process.execPath) is started, both settle ` +
    `${SETTLE_SECONDS} s, and both are sampled every ${SAMPLE_MS} ms for ${IDLE_SECONDS} s: VmRSS and RssAnon ` +
    `from /proc/<pid>/status (medians reported; agent min/max too), CPU = utime+stime from /proc/<pid>/stat ` +
    `over the window ÷ wall time. ratio = agent RSS median ÷ bare RSS median. agentPeakRssMiB is VmHWM ` +
    `(start-up included). Breakdown, after the window: processes of the same binary that import ` +
    `cumulatively more of what \`palisade agent\` loads and idle on a timer (median of 3 RSS readings 2–3 s ` +
    `after import); each step adds: an empty .mts module = Node's TypeScript type stripping ` +
    `${mib(b('importTypeScriptRssMiB') - bareRssMiB)} MiB; the agent's dependencies other than PKCS#11 ` +
    `(${AGENT_DEPENDENCIES.join(', ')}) ${mib(b('importDependenciesRssMiB') - b('importTypeScriptRssMiB'))} MiB; ` +
    `@palisade/pkcs11 (graphene-pk11, node-webcrypto-p11) ` +
    `${mib(b('importPkcs11RssMiB') - b('importDependenciesRssMiB'))} MiB; @palisade/agent's own modules ` +
    `${mib(b('importAgentRssMiB') - b('importPkcs11RssMiB'))} MiB; packages/cli/src/run-cli.ts, i.e. every ` +
    `CLI command incl. the panel, ${mib(b('importCliRssMiB') - b('importAgentRssMiB'))} MiB; the running agent ` +
    `${mib(agentRssMiB - b('importCliRssMiB'))} MiB over what it imports (heap, TLS, sockets, outbox). ` +
    `Pass requires both the RSS ratio and the CPU target.`,
});
