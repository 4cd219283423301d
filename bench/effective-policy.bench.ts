/**
 * effective-policy: computeEffectivePolicies and diffEffectivePolicies over a
 * large fleet — 100,000 devices in 1,000 groups with 0–3 of 5,000 tags, and
 * assignments of all six kinds at every level — in time and retained heap.
 * Reference: a plain Map from device ID to a fresh six-kind record, built over
 * the same devices in the same run (the least any per-device answer costs).
 * See bench/README.md.
 */
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  computeEffectivePolicies,
  diffEffectivePolicies,
  type EffectivePolicies,
  type FleetDevice,
  POLICY_KINDS,
  type PolicyAssignment,
  type PolicyKind,
} from '@palisade/core';
import { emitResult } from './lib/bench-result.ts';
import { machineFacts } from './lib/machine.ts';
import { progressReporter } from './lib/progress.ts';
import { roundFigure, summarize } from './lib/stats.ts';

const NAME = 'effective-policy';
const DEVICES = Number(process.env.BENCH_POLICY_DEVICES ?? 100_000);
const GROUPS = Number(process.env.BENCH_POLICY_GROUPS ?? 1_000);
const TAGS = Number(process.env.BENCH_POLICY_TAGS ?? 5_000);
const RUNS = Number(process.env.BENCH_POLICY_RUNS ?? 5);
const TARGET_MS = 1_000;
// Share of each scope that has an assignment, per kind.
const GROUP_SHARE = 0.3;
const TAG_SHARE = 0.1;
const DEVICE_SHARE = 0.01;
const POLICIES_PER_KIND = 50;

const progress = progressReporter(NAME);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** mulberry32: a seeded generator, so every run measures the same fleet. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const next = random(7);
const pick = (n: number): number => Math.floor(next() * n);

const devices: FleetDevice[] = Array.from({ length: DEVICES }, (_, i) => {
  const tags = new Set<string>();
  const count = pick(4);
  while (tags.size < count) tags.add(`tag-${pick(TAGS)}`);
  return { id: `dev-${i}`, groupId: `group-${pick(GROUPS)}`, tags: [...tags] };
});

function assignmentsFor(kind: PolicyKind): PolicyAssignment[] {
  const policy = () => `${kind}-${pick(POLICIES_PER_KIND)}`;
  const list: PolicyAssignment[] = [{ kind, policyId: policy(), scope: { type: 'fleet' } }];
  for (let g = 0; g < GROUPS; g++)
    if (next() < GROUP_SHARE)
      list.push({ kind, policyId: policy(), scope: { type: 'group', groupId: `group-${g}` } });
  for (let t = 0; t < TAGS; t++)
    if (next() < TAG_SHARE) list.push({ kind, policyId: policy(), scope: { type: 'tag', tag: `tag-${t}` } });
  for (const device of devices)
    if (next() < DEVICE_SHARE)
      list.push({ kind, policyId: policy(), scope: { type: 'device', deviceId: device.id } });
  return list;
}
const assignments = POLICY_KINDS.flatMap(assignmentsFor);
// An assignment change to preview: a new policy on 20 tags, and 20 group assignments withdrawn.
const changed = [
  ...assignments.filter((a, i) => !(a.scope.type === 'group' && i % 15 === 0)),
  ...Array.from(
    { length: 20 },
    (_, i): PolicyAssignment => ({
      kind: 'firewall',
      policyId: 'firewall-new',
      scope: { type: 'tag', tag: `tag-${i * 37}` },
    }),
  ),
];
const tagged = devices.filter((d) => d.tags.length > 0).length;
progress(`${DEVICES} devices (${tagged} with tags), ${assignments.length} assignments`);

function timed<T>(run: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = run();
  return { result, ms: performance.now() - started };
}

function referenceMap(): Map<string, Partial<Record<PolicyKind, string>>> {
  const map = new Map<string, Partial<Record<PolicyKind, string>>>();
  for (const device of devices) {
    const record: Partial<Record<PolicyKind, string>> = {};
    for (const kind of POLICY_KINDS) record[kind] = device.groupId ?? kind;
    map.set(device.id, record);
  }
  return map;
}

/** Heap still held by what `build` returns, after full collections on both sides. */
function retainedBytes(build: () => unknown): number {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (kept === undefined) throw new Error('unreachable: keeps the result alive until measured');
  return after - before;
}

const rssAtStart = resourceUsage().maxRSS;

// One warm-up run each, so that both sides run optimized code.
referenceMap();
computeEffectivePolicies(devices, assignments);

const referenceMs: number[] = [];
const computeMs: number[] = [];
let last: EffectivePolicies | undefined;
for (let i = 0; i < RUNS; i++) {
  referenceMs.push(timed(referenceMap).ms);
  const run = timed(() => computeEffectivePolicies(devices, assignments));
  computeMs.push(run.ms);
  last = run.result;
}
const compute = summarize(computeMs);
const reference = summarize(referenceMs);
progress(
  `compute median ${roundFigure(compute.median)} ms, reference Map median ${roundFigure(reference.median)} ms`,
);

const after = computeEffectivePolicies(devices, changed);
const diffMs: number[] = [];
let changedDevices = 0;
for (let i = 0; i < RUNS; i++) {
  const run = timed(() => diffEffectivePolicies(last ?? after, after));
  diffMs.push(run.ms);
  changedDevices = run.result.length;
}
const diff = summarize(diffMs);
const previewMs = timed(() =>
  diffEffectivePolicies(
    computeEffectivePolicies(devices, assignments),
    computeEffectivePolicies(devices, changed),
  ),
).ms;
progress(`diff median ${roundFigure(diff.median)} ms, ${changedDevices} devices change`);

const computeRetained = retainedBytes(() => computeEffectivePolicies(devices, assignments));
const referenceRetained = retainedBytes(referenceMap);
const conflicts = last?.conflicts.length ?? 0;
const peakRssGrowthKiB = resourceUsage().maxRSS - rssAtStart;

const round = (values: readonly number[]) => values.map(roundFigure);
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    computeMedianMs: roundFigure(compute.median),
    computeMinMs: roundFigure(compute.min),
    computeMaxMs: roundFigure(compute.max),
    computeSamplesMs: round(computeMs),
    computeRetainedBytesPerDevice: roundFigure(computeRetained / DEVICES),
    diffMedianMs: roundFigure(diff.median),
    diffSamplesMs: round(diffMs),
    previewMs: roundFigure(previewMs),
    changedDevices,
    conflicts,
    devices: DEVICES,
    assignments: assignments.length,
    peakRssGrowthKiB,
  },
  reference: {
    what: 'a plain Map from device ID to a fresh six-kind record, built over the same devices',
    figures: {
      medianMs: roundFigure(reference.median),
      samplesMs: round(referenceMs),
      retainedBytesPerDevice: roundFigure(referenceRetained / DEVICES),
    },
  },
  ratio: roundFigure(compute.median / reference.median),
  target: {
    description: `computeEffectivePolicies for ${DEVICES} devices, median < ${TARGET_MS} ms (our figure: the issue names none)`,
    value: TARGET_MS,
  },
  pass: compute.median < TARGET_MS,
  method:
    `Seeded fleet: ${DEVICES} devices, each in one of ${GROUPS} groups with 0-3 distinct of ${TAGS} tags ` +
    `(uniform). Per kind (all six): one fleet assignment; ${GROUP_SHARE * 100} % of groups, ${TAG_SHARE * 100} % ` +
    `of tags and ${DEVICE_SHARE * 100} % of devices assigned one of ${POLICIES_PER_KIND} policies ` +
    `(${assignments.length} assignments). One warm-up, then ${RUNS} alternating runs of the reference and of ` +
    'computeEffectivePolicies; medians. diffEffectivePolicies between that result and one after withdrawing every ' +
    '15th group assignment and adding a firewall policy on 20 tags; previewMs = both computations plus the diff. ' +
    'Retained heap: heapUsed after two forced GCs with the result alive minus before. peakRssGrowthKiB: ' +
    'resourceUsage().maxRSS at the end minus at the start (fleet generation excluded). ratio = compute median / ' +
    'reference median.',
});
