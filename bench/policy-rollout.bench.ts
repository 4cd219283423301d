/**
 * policy-rollout: publish → acknowledged by a connected simulated fleet.
 * A firewall policy is assigned to the whole fleet and acknowledged (warm-up);
 * then a new version is published at once to every device, and each device's
 * acknowledgement time (the panel's receive time of its `applied` report)
 * minus the version's publication time gives the latency. Same-run
 * reference: the time one process needs to verify as many signed envelopes
 * as the fleet verifies (the CPU floor of the devices' side). See bench/README.md.
 */
import { createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { policyTrust, verifySignedPolicy } from '@palisade/core';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { type FleetCounters, type FleetSimulator, startFleetSimulator } from './lib/fleet-simulator.ts';
import { callJson } from './lib/https-json.ts';
import { machineFacts } from './lib/machine.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { progressReporter } from './lib/progress.ts';
import { percentile, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'policy-rollout';
const env = process.env;
const DEVICES = Number(env.BENCH_POLICY_DEVICES ?? 2_000);
const PER_PROCESS = Number(env.BENCH_POLICY_DEVICES_PER_PROCESS ?? 2_500);
const ENROLL_CONCURRENCY = Number(env.BENCH_POLICY_ENROLL_CONCURRENCY ?? 16);
const ROUNDS = Number(env.BENCH_POLICY_ROUNDS ?? 3);
const ACK_TIMEOUT_SECONDS = Number(env.BENCH_POLICY_ACK_TIMEOUT_SECONDS ?? 120);
const ENROLL_TIMEOUT_SECONDS = Number(env.BENCH_POLICY_ENROLL_TIMEOUT_SECONDS ?? 1200);
const TARGET_P99_SECONDS = 5;

const progress = progressReporter(NAME);

const firewall = (round: number) => ({
  defaultIngress: 'drop',
  defaultEgress: 'accept',
  logDrops: round % 2 === 0,
  rules: [
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: 22, to: 22 }],
      comment: `round ${round}`,
    },
  ],
});

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
  serverArgs: ['--heartbeat', '60', '--host', '127.0.0.1'],
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
});
await using _panel = panel;
const ca = panel.rootCaPem;
const bearer = (
  await callJson<{ token: string }>(`${panel.operatorUrl}/v1/auth/login`, {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca,
  })
).json.token;
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
  (
    await callJson<T>(`${panel.operatorUrl}${path}`, {
      method,
      bearer,
      ca,
      timeoutMs: 120_000,
      ...(body === undefined ? {} : { body }),
    })
  ).json;
const caFile = join(work.path, 'panel-root-ca.pem');
await writeFile(caFile, ca);

const processes = Math.max(1, Math.ceil(DEVICES / PER_PROCESS));
const shares = Array.from(
  { length: processes },
  (_, i) => Math.floor(DEVICES / processes) + (i < DEVICES % processes ? 1 : 0),
);
progress(`fleet: ${DEVICES} devices in ${processes} simulator process(es)`);
const simulators = shares.map((share, i) =>
  startFleetSimulator({
    operatorUrl: panel.operatorUrl,
    caFile,
    token: bearer,
    deviceUrls: [panel.deviceUrl],
    devices: share,
    prefix: `pol${i + 1}`,
    eventsPerMinute: 0,
    enrollConcurrency: ENROLL_CONCURRENCY,
    logPath: join(work.path, `simulate-${i + 1}.log`),
    maxOldSpaceMiB: 4096,
  }),
);
const enrollDeadline = performance.now() + ENROLL_TIMEOUT_SECONDS * 1000;
for (;;) {
  const connected = sum(simulators, 'connected');
  const failed = sum(simulators, 'enrollFailures');
  if (connected >= DEVICES - failed) break;
  if (performance.now() > enrollDeadline)
    throw new Error(`only ${connected} of ${DEVICES} devices connected`);
  await sleep(2000);
}
const enrollFailures = sum(simulators, 'enrollFailures');
const fleetSize = DEVICES - enrollFailures;
progress(`${fleetSize} devices connected (${enrollFailures} failed to enroll)`);

// Warm-up: version 1, assigned to the fleet, acknowledged by every device.
const created = await api<{ policyId: string }>('POST', '/v1/policies', {
  kind: 'firewall',
  name: 'bench-rollout',
  document: firewall(0),
});
const policyId = created.policyId;
await api('PUT', '/v1/policy-assignments', { kind: 'firewall', scope: { type: 'fleet' }, policyId });

async function acknowledgements(version: number) {
  const deadline = performance.now() + ACK_TIMEOUT_SECONDS * 1000;
  for (;;) {
    const answer = await api<{ publishedAt: string; reports: { state: string; reportedAt: string }[] }>(
      'GET',
      `/v1/policies/${policyId}/versions/${version}/reports`,
    );
    const applied = answer.reports.filter((r) => r.state === 'applied');
    if (applied.length >= fleetSize || performance.now() > deadline) return { ...answer, applied };
    await sleep(1000);
  }
}

const warm = await acknowledgements(1);
progress(`warm-up: version 1 acknowledged by ${warm.applied.length}/${fleetSize}`);

const latencies: number[] = [];
const roundP99: number[] = [];
let missing = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const published = await api<{ version: number }>('POST', `/v1/policies/${policyId}/versions`, {
    document: firewall(round),
  });
  const result = await acknowledgements(published.version);
  const published_at = Date.parse(result.publishedAt);
  const samples = result.applied.map((r) => (Date.parse(r.reportedAt) - published_at) / 1000);
  latencies.push(...samples);
  missing += fleetSize - result.applied.length;
  roundP99.push(percentile(samples, 99));
  progress(
    `round ${round}: version ${published.version} acknowledged by ${result.applied.length}/${fleetSize}, ` +
      `p50 ${percentile(samples, 50).toFixed(2)} s, p99 ${percentile(samples, 99).toFixed(2)} s`,
  );
}

// Reference: verifying as many envelopes as one round needs, in this one process.
const envelope = (
  await api<{ envelope: { signatures: unknown[] } }>('GET', `/v1/policies/${policyId}/versions/1`)
).envelope;
const trustKeys = await api<{ keys: { publicKeyPem: string }[] }>('GET', '/v1/policy-trust');
const trust = policyTrust(trustKeys.keys.map((k) => createPublicKey(k.publicKeyPem)));
const signaturesPerEnvelope = envelope.signatures.length;
progress(`reference: verifying ${fleetSize} envelopes in one process`);
const verifyStarted = performance.now();
for (let i = 0; i < fleetSize; i++) verifySignedPolicy(envelope, trust, undefined, 'firewall');
const verifySeconds = (performance.now() - verifyStarted) / 1000;

progress('stopping the simulators and the panel');
await Promise.all(simulators.map((s) => s.stop()));
await stopPanelCleanly(panel);

const p99 = percentile(latencies, 99);
emitResult({
  name: NAME,
  machine: await machineFacts(),
  figures: {
    p99Seconds: roundFigure(p99),
    p50Seconds: roundFigure(percentile(latencies, 50)),
    maxSeconds: roundFigure(Math.max(...latencies)),
    roundP99Seconds: roundP99.map(roundFigure),
    devices: fleetSize,
    enrollFailures,
    acknowledgementsMissing: missing,
    rounds: ROUNDS,
  },
  reference: {
    what: `one process verifying ${fleetSize} signed envelopes (${signaturesPerEnvelope} signatures each)`,
    figures: { verifySeconds: roundFigure(verifySeconds) },
  },
  ratio: roundFigure(p99 / Math.max(verifySeconds, 1e-6)),
  target: {
    description: `p99 publish → acknowledged < ${TARGET_P99_SECONDS} s on one panel process (${fleetSize} devices, every device acknowledging)`,
    value: TARGET_P99_SECONDS,
  },
  pass: p99 < TARGET_P99_SECONDS && missing === 0,
  method:
    `Panel \`palisade server --heartbeat 60\` on ${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}; ` +
    `${DEVICES} virtual devices in ${processes} \`palisade simulate\` process(es) (EST, mutual TLS, push channel; ` +
    `each pins the panel's policy keys, verifies every envelope it is sent — P-256 and ML-DSA-65 — and reports ` +
    `\`applied\`). Warm-up: a firewall policy assigned to the fleet, acknowledged by every device. Then ` +
    `${ROUNDS} rounds: publish a new version (immediate rollout) through the operator API; the panel pushes ` +
    '`desired-state-changed` to every device; each pulls its desired state, fetches and verifies the envelope and ' +
    `reports. Latency per device = the panel's reported_at of the \`applied\` report − the version's published_at ` +
    `(both the panel's clock), read from GET /v1/policies/:id/versions/:v/reports; p50/p99 over all rounds. ` +
    `Reference: the same process verifying fleetSize envelopes one after another (the devices' CPU floor ` +
    `on this machine, whose cores the simulators share with the panel).`,
});
