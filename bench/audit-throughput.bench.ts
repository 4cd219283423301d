/**
 * audit-throughput: requests per second and latency of an authenticated
 * `GET /v1/audit?limit=50` (API token, HTTPS, keep-alive) against the panel
 * in its own process, compared with a bare Fastify 5 HTTPS route serving the
 * same JSON document, measured in the same run. See bench/README.md.
 */
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { startBareFastify } from './lib/bare-fastify-process.ts';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { callJson } from './lib/https-json.ts';
import { type LoadFigures, type LoadSettings, runLoad } from './lib/load-run.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { progressReporter } from './lib/progress.ts';
import { selfSignedP256 } from './lib/self-signed-tls.ts';
import { roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'audit-throughput';
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SEED_OPERATORS = 40;
const MIN_AUDIT_ENTRIES = 250;
const TARGET_RATIO = 0.5;
const PATH = '/v1/audit?limit=50';

const progress = progressReporter(NAME);

interface AuditPage {
  readonly entries: readonly { readonly seq: number }[];
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

/** A warm-up run (discarded: JIT, TLS sessions, caches), then the measured run. */
async function measure(label: string, settings: Omit<LoadSettings, 'durationSeconds'>): Promise<LoadFigures> {
  progress(`${label}: ${WARMUP_SECONDS} s warm-up, ${CONNECTIONS} connections`);
  await runLoad({ ...settings, durationSeconds: WARMUP_SECONDS });
  progress(`${label}: measuring for ${DURATION_SECONDS} s`);
  const figures = await runLoad({ ...settings, durationSeconds: DURATION_SECONDS });
  progress(
    `${label}: ${figures.requestsPerSec} req/s, p50 ${figures.latencyP50Ms} ms, p99 ${figures.latencyP99Ms} ms`,
  );
  if (figures.non2xx > 0 || figures.errors > 0) {
    throw new Error(
      `${label}: ${figures.non2xx} non-2xx responses and ${figures.errors} errors (${figures.timeouts} timeouts) invalidate the run`,
    );
  }
  return figures;
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const secrets = benchSecrets();
// BENCH_CPU_PROF=<dir>: the panel writes a V8 CPU profile there when it exits (open in Chrome DevTools).
const profileDir = process.env.BENCH_CPU_PROF;
progress(`starting the panel on an empty data directory (${database.description})`);
const panel = await startPanelProcess({
  dataDir: join(work.path, 'data'),
  secrets,
  logPrefix: join(work.path, 'panel'),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
  ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
});
await using _panel = panel;
const ca = panel.rootCaPem;
const api = (path: string) => `${panel.operatorUrl}${path}`;
const agent = new Agent({ keepAlive: true, ca });

const session = await callJson<{ token: string }>(api('/v1/auth/login'), {
  body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
  ca,
  agent,
});
const admin = session.json.token;
const apiToken = (
  await callJson<{ token: string }>(api('/v1/tokens'), {
    body: { name: 'bench', role: 'auditor' },
    bearer: admin,
    ca,
    agent,
  })
).json.token;

// Seed the audit log with ordinary operator activity: account creations
// (each hashes a one-time password with scrypt), then disable/enable pairs.
progress(
  `seeding: ${SEED_OPERATORS} operators, then disable/enable until ≥ ${MIN_AUDIT_ENTRIES} audit entries`,
);
const usernames = Array.from({ length: SEED_OPERATORS }, (_, i) => `bench-${i + 1}`);
await inParallel(usernames, 4, async (username) => {
  await callJson(api('/v1/operators'), { body: { username, role: 'viewer' }, bearer: admin, ca, agent });
});
const newestSeq = async () =>
  (await callJson<AuditPage>(api('/v1/audit?limit=1'), { bearer: apiToken, ca, agent })).json.entries[0]
    ?.seq ?? 0;
const pairsNeeded = Math.max(0, Math.ceil((MIN_AUDIT_ENTRIES - (await newestSeq())) / 2));
await inParallel(
  Array.from({ length: pairsNeeded }, (_, i) => usernames[i % usernames.length] as string),
  4,
  async (username) => {
    for (const verb of ['disable', 'enable'])
      await callJson(api(`/v1/operators/${username}/${verb}`), { method: 'POST', bearer: admin, ca, agent });
  },
);
const auditEntries = await newestSeq();
if (auditEntries < MIN_AUDIT_ENTRIES) throw new Error(`seeding produced only ${auditEntries} audit entries`);

const sample = await callJson<AuditPage>(api(PATH), { bearer: apiToken, ca, agent });
if (sample.json.entries.length !== 50)
  throw new Error(`expected 50 entries, got ${sample.json.entries.length}`);
agent.destroy();
progress(`seeded ${auditEntries} audit entries; GET ${PATH} returns ${sample.bytes} bytes`);

// The reference serves the very same document, so both sides send the same bytes.
const bodyPath = join(work.path, 'audit-page.json');
await writeFile(bodyPath, JSON.stringify(sample.json));
const tls = await selfSignedP256(work.path);
await using bare = await startBareFastify({
  keyPath: tls.keyPath,
  certPath: tls.certPath,
  bodyPath,
  route: '/v1/audit',
});
const bareBytes = (await callJson(`${bare.url}${PATH}`, { ca: tls.certPem })).bytes;

const headers = { authorization: `Bearer ${apiToken}` };
const reference = await measure('bare Fastify', {
  url: `${bare.url}${PATH}`,
  headers,
  ca: tls.certPem,
  connections: CONNECTIONS,
  serverPid: bare.pid,
});
const measured = await measure('panel', {
  url: api(PATH),
  headers,
  ca,
  connections: CONNECTIONS,
  serverPid: panel.pid,
});
const auditEntriesAfter = await newestSeq();
await stopPanelCleanly(panel);

const ratio = measured.requestsPerSec / reference.requestsPerSec;
const optional = (key: string, value: number | undefined) => (value === undefined ? {} : { [key]: value });
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    panelRequestsPerSec: measured.requestsPerSec,
    panelLatencyP50Ms: measured.latencyP50Ms,
    panelLatencyP99Ms: measured.latencyP99Ms,
    panelLatencyMaxMs: measured.latencyMaxMs,
    panelRequests: measured.requests,
    ...optional('panelCpuMicrosPerRequest', measured.serverCpuMicrosPerRequest),
    ...optional('panelCpuPercent', measured.serverCpuPercent),
    loadGeneratorCpuPercent: measured.loadGeneratorCpuPercent,
    responseBytes: sample.bytes,
    auditEntries,
    auditEntriesAfter,
    connections: CONNECTIONS,
    durationSeconds: DURATION_SECONDS,
  },
  reference: {
    what: 'bare Fastify 5 HTTPS route (own process, no logger/hooks/plugins, ECDSA P-256 certificate) returning the same JSON document',
    figures: {
      requestsPerSec: reference.requestsPerSec,
      latencyP50Ms: reference.latencyP50Ms,
      latencyP99Ms: reference.latencyP99Ms,
      latencyMaxMs: reference.latencyMaxMs,
      requests: reference.requests,
      ...optional('serverCpuMicrosPerRequest', reference.serverCpuMicrosPerRequest),
      ...optional('serverCpuPercent', reference.serverCpuPercent),
      loadGeneratorCpuPercent: reference.loadGeneratorCpuPercent,
      responseBytes: bareBytes,
    },
  },
  ratio: roundFigure(ratio),
  target: {
    description: `panel req/s ≥ ${TARGET_RATIO} × bare Fastify req/s`,
    value: TARGET_RATIO,
  },
  pass: ratio >= TARGET_RATIO,
  method:
    `Panel started as \`palisade server --log-level info\` on an empty data directory (PGlite), admin ` +
    `logged in (mode "token"), an auditor API token created, the audit log seeded with ` +
    `${SEED_OPERATORS} operator creations and disable/enable pairs (${auditEntries} entries). autocannon ` +
    `(programmatic, in the benchmark process) drives GET ${PATH} with \`Authorization: Bearer <API ` +
    `token>\` over HTTPS/1.1, ${CONNECTIONS} keep-alive connections, no pipelining: ${WARMUP_SECONDS} s ` +
    `warm-up (discarded) then ${DURATION_SECONDS} s measured. The reference (bench/lib/bare-fastify-server.ts, ` +
    `its own process) serves the panel's own response document with the same settings, measured first. ` +
    `req/s = mean of per-second samples; latency percentiles from autocannon's histogram; server CPU from ` +
    `/proc/<pid>/stat over the measured run. ratio = panel req/s / bare req/s. Any non-2xx or socket ` +
    `error aborts the run.`,
});
