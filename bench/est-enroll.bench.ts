/**
 * est-enroll: RFC 7030 `simpleenroll` throughput of the panel (in its own
 * process) for many devices, each enrolling over a new TLS connection with
 * a one-time enrollment token, compared with the raw ECDSA P-256 signing
 * rate of one Node process measured in the same run. See bench/README.md.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { certificatesOf, deviceCsrBase64, simpleEnroll, x509 } from './lib/est-client.ts';
import { callJson } from './lib/https-json.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { inParallel } from './lib/parallel.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import { progressReporter } from './lib/progress.ts';
import { median, percentile, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'est-enroll';
const DEVICES = Number(process.env.BENCH_EST_DEVICES ?? 2000);
const WARMUP_DEVICES = Number(process.env.BENCH_EST_WARMUP_DEVICES ?? 128);
const CLIENTS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const REFERENCE_SECONDS = Number(process.env.BENCH_REFERENCE_SECONDS ?? 2);
const REFERENCE_ROUNDS = 3;
/** Operator API calls in flight while creating devices and tokens. */
const SETUP_CONCURRENCY = 8;
const TARGET_PER_SEC = 500;
/** Roughly the size of a device certificate's TBSCertificate, which is what the CA signs. */
const SIGNED_BYTES = 600;

const progress = progressReporter(NAME);

interface Enrollee {
  readonly id: string;
  readonly token: string;
  csr: string;
}

/**
 * The reference: ECDSA P-256 / SHA-256 signatures per second with
 * `crypto.sign` on one thread of this process, reusing one parsed KeyObject
 * (the cheapest way Node signs), over a message the size of a certificate's
 * TBS. Median of REFERENCE_ROUNDS rounds.
 */
function ecdsaSignRate(): { median: number; rounds: number[] } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = randomBytes(SIGNED_BYTES);
  for (let i = 0; i < 500; i++) sign('sha256', message, privateKey); // warm-up
  const rounds: number[] = [];
  for (let round = 0; round < REFERENCE_ROUNDS; round++) {
    let count = 0;
    const started = performance.now();
    const until = started + REFERENCE_SECONDS * 1000;
    while (performance.now() < until) {
      for (let i = 0; i < 100; i++) sign('sha256', message, privateKey);
      count += 100;
    }
    rounds.push(count / ((performance.now() - started) / 1000));
  }
  return { median: median(rounds), rounds: rounds.map(roundFigure) };
}

interface EnrollRun {
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly errors: string[];
  /** Response bodies by enrollee index (undefined where the enrollment failed). */
  readonly bodies: (string | undefined)[];
  readonly clientCpuSeconds: number;
  readonly serverCpuSeconds: number | undefined;
}

/** `CLIENTS` concurrent devices, each taking the next enrollee until none is left; one new TLS connection per enrollment. */
async function enrollAll(
  deviceUrl: string,
  ca: string,
  enrollees: readonly Enrollee[],
  serverPid: number,
): Promise<EnrollRun> {
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  const bodies: (string | undefined)[] = new Array(enrollees.length).fill(undefined);
  const serverBefore = processCpuSeconds(serverPid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await inParallel(enrollees, CLIENTS, async (enrollee, index) => {
    try {
      const answer = await simpleEnroll(deviceUrl, enrollee.token, enrollee.csr, ca);
      if (answer.status === 200 && answer.contentType?.startsWith('application/pkcs7-mime')) {
        latenciesMs.push(answer.ms);
        bodies[index] = answer.body;
      } else {
        errors.push(`${enrollee.id}: ${answer.status} ${answer.body.slice(0, 300)}`);
      }
    } catch (error) {
      errors.push(`${enrollee.id}: ${(error as Error).message}`);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serverAfter = processCpuSeconds(serverPid);
  return {
    seconds,
    latenciesMs,
    errors,
    bodies,
    clientCpuSeconds: (client.user + client.system) / 1e6,
    serverCpuSeconds:
      serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore,
  };
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const secrets = benchSecrets();
const dataDir = join(work.path, 'data');
// BENCH_CPU_PROF=<dir>: the panel writes a V8 CPU profile there when it exits; it exits right after the measured run.
const profileDir = process.env.BENCH_CPU_PROF;
progress(`starting the panel on an empty data directory (${database.description})`);
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
const agent = new Agent({ keepAlive: true, ca, maxSockets: SETUP_CONCURRENCY });
const admin = (
  await callJson<{ token: string }>(api('/v1/auth/login'), {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca,
    agent,
  })
).json.token;

// Set-up, not measured: a device record and a one-time token per device, through the operator API.
const total = WARMUP_DEVICES + DEVICES;
progress(`set-up: creating ${total} devices and enrollment tokens (${SETUP_CONCURRENCY} calls in flight)`);
const setupStarted = performance.now();
const ids = Array.from({ length: total }, (_, i) => `bench-${String(i + 1).padStart(6, '0')}`);
const enrollees: Enrollee[] = new Array(total);
let created = 0;
await inParallel(ids, SETUP_CONCURRENCY, async (id, index) => {
  await callJson(api('/v1/devices'), { body: { id }, bearer: admin, ca, agent });
  const { token } = (
    await callJson<{ token: string }>(api(`/v1/devices/${id}/enrollment-token`), {
      body: {},
      bearer: admin,
      ca,
      agent,
    })
  ).json;
  enrollees[index] = { id, token, csr: '' };
  created++;
  if (created % Math.max(1, Math.round(total / 10)) === 0) progress(`set-up: ${created}/${total} devices`);
});
const setupSeconds = (performance.now() - setupStarted) / 1000;
agent.destroy();

// Each device's P-256 key pair and CSR, made before the clock starts (as a device does before it calls).
progress(`generating ${total} P-256 key pairs and CSRs`);
const csrStarted = performance.now();
for (const enrollee of enrollees) enrollee.csr = await deviceCsrBase64(enrollee.id);
const csrMsEach = (performance.now() - csrStarted) / total;

progress(`reference: ECDSA P-256 crypto.sign, ${REFERENCE_ROUNDS} × ${REFERENCE_SECONDS} s`);
const reference = ecdsaSignRate();
progress(`reference: ${Math.round(reference.median)} signatures/s (rounds ${reference.rounds.join(', ')})`);

progress(`warm-up: ${WARMUP_DEVICES} enrollments, ${CLIENTS} clients (discarded)`);
const warmup = await enrollAll(panel.deviceUrl, ca, enrollees.slice(0, WARMUP_DEVICES), panel.pid);
if (warmup.errors.length > 0) progress(`warm-up errors: ${warmup.errors.slice(0, 3).join(' | ')}`);

progress(`measuring: ${DEVICES} enrollments, ${CLIENTS} concurrent clients, a new TLS connection each`);
const measuredEnrollees = enrollees.slice(WARMUP_DEVICES);
const measured = await enrollAll(panel.deviceUrl, ca, measuredEnrollees, panel.pid);
const succeeded = measured.latenciesMs.length;
const enrollmentsPerSec = succeeded / measured.seconds;
progress(
  `measured: ${succeeded} enrolled in ${measured.seconds.toFixed(2)} s = ${enrollmentsPerSec.toFixed(1)}/s, ${measured.errors.length} errors`,
);
for (const error of measured.errors.slice(0, 5)) progress(`error: ${error}`);

// Checks, after the clock: what came back is a certificate for that device, signed by the issuing CA,
// and the panel's registry holds every enrolled device.
const enrolledInRegistry = await (async () => {
  const listAgent = new Agent({ keepAlive: true, ca });
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const page = (
      await callJson<{ devices: { id: string }[] }>(
        api(`/v1/devices?state=enrolled&limit=1000${after ? `&after=${after}` : ''}`),
        { bearer: admin, ca, agent: listAgent },
      )
    ).json.devices;
    count += page.length;
    if (page.length < 1000) break;
    after = page.at(-1)?.id;
  }
  listAgent.destroy();
  return count;
})();
const serverCpuMicrosPerEnrollment =
  measured.serverCpuSeconds === undefined || succeeded === 0
    ? undefined
    : (measured.serverCpuSeconds * 1e6) / succeeded;
await stopPanelCleanly(panel);

const issuing = new x509.X509Certificate(await readFile(join(dataDir, 'ca/issuing-ca.pem'), 'utf8'));
let badCertificates = 0;
for (const [index, body] of measured.bodies.entries()) {
  if (body === undefined) continue;
  const [certificate] = certificatesOf(body);
  const expected = measuredEnrollees[index]?.id;
  const ok =
    certificate !== undefined &&
    certificate.subjectName.getField('CN')[0] === expected &&
    (await certificate.verify({ publicKey: issuing.publicKey, signatureOnly: true }));
  if (!ok) badCertificates++;
}
const expectedInRegistry = WARMUP_DEVICES - warmup.errors.length + succeeded;
progress(
  `checks: ${badCertificates} bad certificates; registry lists ${enrolledInRegistry} enrolled devices (expected ${expectedInRegistry})`,
);

const errors = measured.errors.length + badCertificates;
const ratio = enrollmentsPerSec / reference.median;
const latencies = measured.latenciesMs.length > 0 ? measured.latenciesMs : [0];
const clientCpuPercent = (measured.clientCpuSeconds / measured.seconds) * 100;
const optional = (key: string, value: number | undefined) =>
  value === undefined ? {} : { [key]: roundFigure(value) };
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    enrollmentsPerSec: roundFigure(enrollmentsPerSec),
    latencyP50Ms: roundFigure(percentile(latencies, 50)),
    latencyP99Ms: roundFigure(percentile(latencies, 99)),
    latencyMaxMs: roundFigure(percentile(latencies, 100)),
    enrollments: succeeded,
    errors,
    wallSeconds: roundFigure(measured.seconds),
    ...optional('serverCpuMicrosPerEnrollment', serverCpuMicrosPerEnrollment),
    ...optional(
      'serverCpuPercent',
      measured.serverCpuSeconds === undefined
        ? undefined
        : (measured.serverCpuSeconds / measured.seconds) * 100,
    ),
    clientCpuPercent: roundFigure(clientCpuPercent),
    clientCpuMicrosPerEnrollment: roundFigure((measured.clientCpuSeconds * 1e6) / Math.max(1, succeeded)),
    enrolledInRegistry,
    clients: CLIENTS,
    devices: DEVICES,
    warmupDevices: WARMUP_DEVICES,
    setupSeconds: roundFigure(setupSeconds),
    csrGenerationMsEach: roundFigure(csrMsEach),
    panelReadyMs: roundFigure(panel.readyMs),
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what: `ECDSA P-256/SHA-256 crypto.sign of a ${SIGNED_BYTES}-byte message, one Node thread, one parsed KeyObject reused (median of ${REFERENCE_ROUNDS} × ${REFERENCE_SECONDS} s)`,
    figures: {
      signaturesPerSec: roundFigure(reference.median),
      roundsPerSec: reference.rounds,
    },
  },
  ratio: roundFigure(ratio),
  target: {
    description: `≥ ${TARGET_PER_SEC} enrollments/s (${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}), 0 errors`,
    value: TARGET_PER_SEC,
  },
  pass: enrollmentsPerSec >= TARGET_PER_SEC && errors === 0 && enrolledInRegistry === expectedInRegistry,
  method:
    `Panel started as \`palisade server\` (--log-level info) on an empty data directory, database ` +
    `${database.kind === 'postgres' ? `PostgreSQL (${database.description}; a fresh database on BENCH_DATABASE_URL, --database-url)` : 'PGlite (embedded)'}. ` +
    `Set-up (not timed): ${WARMUP_DEVICES + DEVICES} devices created with POST /v1/devices and one-time ` +
    `tokens with POST /v1/devices/<id>/enrollment-token (admin token session), then one P-256 key pair and ` +
    `PKCS#10 CSR (CN = device ID) per device with @peculiar/x509 over Node WebCrypto. Clients run in the ` +
    `benchmark process: ${CLIENTS} concurrent loops, each taking the next device and sending POST ` +
    `/.well-known/est/simpleenroll (body base64 DER, Content-Type application/pkcs10, Authorization: Bearer ` +
    `<token>) over a new TLS connection to the device listener (no client certificate, server verified ` +
    `against the root CA, no session reuse), until every device is enrolled. ${WARMUP_DEVICES} warm-up ` +
    `enrollments first (discarded), then ${DEVICES} measured. enrollments/s = 200 answers with ` +
    `application/pkcs7-mime / wall time from the first request to the last answer; latency per enrollment ` +
    `includes TCP connect and TLS handshake. Errors = non-200 answers, network errors and returned ` +
    `certificates that are not for that device or not signed by the issuing CA (checked after the clock). ` +
    `Server CPU from /proc/<pid>/stat of the panel process${database.kind === 'postgres' ? ' (PostgreSQL backends not included)' : ''}; ` +
    `client CPU = this process. Reference measured in this process before the load, with the panel idle. ` +
    `ratio = enrollments/s ÷ signatures/s.`,
});
