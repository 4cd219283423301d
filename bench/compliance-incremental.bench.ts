/**
 * compliance-incremental: how long after one piece of evidence changes the
 * stored status of the device says so — a revocation (registry listener), an
 * inventory report (ingest listener), a certificate issued (NOTIFY at
 * commit) — in a fleet of 100,000 evaluated devices. Reference: evaluating
 * that one device directly, same run. See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '@palisade/server';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { deviceId, seedComplianceFleet, startBenchPanel } from './lib/compliance-fleet.ts';
import { machineFacts } from './lib/machine.ts';
import { progressReporter } from './lib/progress.ts';
import { percentile, roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'compliance-incremental';
const DEVICES = Number(process.env.BENCH_COMPLIANCE_DEVICES ?? 100_000);
const SAMPLES_PER_KIND = Number(process.env.BENCH_COMPLIANCE_SAMPLES ?? 10);
const TARGET_MS = 1_000;
const POLL_MS = 2;
const TIMEOUT_MS = 10_000;
const BY = { actor: 'operator:bench' };
const progress = progressReporter(NAME);

async function statusOf(db: Db, device: string, control: string): Promise<string | undefined> {
  const result = await db.query<{ status: string }>(
    'SELECT status FROM compliance_status WHERE device_id = $1 AND control = $2',
    [device, control],
  );
  return result.rows[0]?.status;
}

/** Milliseconds from `change` starting until the stored status of `control` is `expected`. */
async function latency(
  db: Db,
  device: string,
  control: string,
  expected: string,
  change: () => Promise<unknown>,
): Promise<number> {
  const before = await statusOf(db, device, control);
  if (before === expected) throw new Error(`${device} ${control} is already ${expected}`);
  const started = performance.now();
  await change();
  while ((await statusOf(db, device, control)) !== expected) {
    if (performance.now() - started > TIMEOUT_MS)
      throw new Error(`${device} ${control} did not become ${expected} within ${TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
  return performance.now() - started;
}

function inventory(rootEncrypted: boolean) {
  return {
    agentVersion: '0.1.0',
    collectedAt: new Date().toISOString(),
    secureBoot: { known: true, value: 'enabled' },
    diskEncryption: {
      known: true,
      value: { volumes: [], rootEncrypted: { known: true, value: rootEncrypted } },
    },
    tpm: { known: true, value: { present: true } },
  };
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
progress(`starting the panel in process (${database.description})`);
await using bench = await startBenchPanel(database, work.path);
const { services } = bench.panel;
const { db, compliance } = services;
await compliance.runFullPass({ force: true });
progress(`writing the evidence of ${DEVICES} devices and evaluating them`);
await seedComplianceFleet(bench.panel, DEVICES);
const pass = await compliance.runFullPass({ force: true });
progress(`full pass: ${pass?.devices} devices in ${pass?.durationMs} ms`);

// Devices with a current, unrevoked certificate, in contact, with an encrypted root volume (fixture rules).
const candidates: number[] = [];
for (let i = 1001; candidates.length < 3 * SAMPLES_PER_KIND; i += 7)
  if (i % 200 !== 0 && i % 50 !== 0 && i % 33 !== 0 && i % 5 !== 0) candidates.push(i);
const claimed = Array.from({ length: SAMPLES_PER_KIND }, (_, k) => 200 * (k + 5));

const samples: Record<'revocation' | 'inventory' | 'certificate', number[]> = {
  revocation: [],
  inventory: [],
  certificate: [],
};
for (let k = 0; k < SAMPLES_PER_KIND; k++) {
  const revoked = deviceId(candidates[3 * k] as number);
  samples.revocation.push(
    await latency(db, revoked, 'ID-1', 'not_met', () =>
      services.devices.revoke(BY, revoked, 'keyCompromise'),
    ),
  );
  const reported = deviceId(candidates[3 * k + 1] as number);
  samples.inventory.push(
    await latency(db, reported, 'CR-1', 'not_met', () =>
      services.ingest.ingest(reported, [
        {
          id: randomUUID(),
          kind: 'inventory',
          severity: 0,
          createdAt: new Date().toISOString(),
          body: inventory(false),
        },
      ]),
    ),
  );
  const enrolled = deviceId(claimed[k] as number);
  samples.certificate.push(
    await latency(db, enrolled, 'ID-1', 'met', () =>
      db.transaction((tx) =>
        services.devices.recordCertificate(tx, BY, enrolled, {
          serial: randomUUID().replaceAll('-', '').replace(/^0+/, ''),
          certificatePem: '(bench)',
          subject: `CN=${enrolled}`,
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 90 * 24 * 3600 * 1000),
          issuedVia: 'simpleenroll',
          keyAlgorithm: 'EC P-256',
          issuerSerial: '1',
        }),
      ),
    ),
  );
  progress(
    `sample ${k + 1}/${SAMPLES_PER_KIND}: revocation ${Math.round(samples.revocation.at(-1) ?? 0)} ms, ` +
      `inventory ${Math.round(samples.inventory.at(-1) ?? 0)} ms, certificate ${Math.round(samples.certificate.at(-1) ?? 0)} ms`,
  );
}

progress('reference: evaluating one device directly');
const direct: number[] = [];
for (let k = 0; k < 20; k++) {
  const started = performance.now();
  await compliance.evaluator.evaluateDevices([deviceId(candidates[k] as number)]);
  direct.push(performance.now() - started);
}

const all = [...samples.revocation, ...samples.inventory, ...samples.certificate];
const p95 = percentile(all, 95);
const round = (values: readonly number[]) => values.map(roundFigure);
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    latencyP95Ms: roundFigure(p95),
    latencyP50Ms: roundFigure(percentile(all, 50)),
    latencyMaxMs: roundFigure(Math.max(...all)),
    revocationMedianMs: roundFigure(percentile(samples.revocation, 50)),
    inventoryMedianMs: roundFigure(percentile(samples.inventory, 50)),
    certificateMedianMs: roundFigure(percentile(samples.certificate, 50)),
    revocationMs: round(samples.revocation),
    inventoryMs: round(samples.inventory),
    certificateMs: round(samples.certificate),
    devices: pass?.devices ?? 0,
  },
  reference: {
    what: 'ComplianceEvaluator.evaluateDevices of one device (evidence read, evaluated, stored), called directly',
    figures: { medianMs: roundFigure(percentile(direct, 50)), p95Ms: roundFigure(percentile(direct, 95)) },
  },
  ratio: roundFigure(p95 / percentile(direct, 50)),
  target: { description: 'evidence change → updated stored status, p95 < 1 s', value: TARGET_MS },
  pass: p95 < TARGET_MS,
  method:
    `The panel runs in this process on ${database.kind === 'postgres' ? `PostgreSQL (${database.description})` : 'PGlite'} ` +
    `with the fleet of compliance-full-pass (${DEVICES} devices) evaluated once. Each sample changes one device's ` +
    'evidence the way the panel does and times, from the start of the change, until the stored result says so ' +
    `(polled every ${POLL_MS} ms): a revocation through DeviceRegistry.revoke (its listener, after the CRLs are ` +
    're-signed: ID-1 not_met); an inventory report through ReportIngest (root volume no longer encrypted: CR-1 not_met); ' +
    'a certificate recorded in a transaction as EST does (NOTIFY delivered at commit: ID-1 met). ' +
    `${SAMPLES_PER_KIND} samples of each, one after the other; changes are collected for 100 ms before they are evaluated.`,
});
