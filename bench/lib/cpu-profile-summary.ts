/**
 * Where a V8 CPU profile (`--cpu-prof`, see BENCH_CPU_PROF) spends its time,
 * as text: self time by package, self time by function, and inclusive time
 * (the function and everything it called) by function.
 *
 *   node bench/lib/cpu-profile-summary.ts <file.cpuprofile> [--last-seconds S] [--top N]
 *
 * `--last-seconds S` keeps only the last S seconds before the process
 * exited: the benchmarks stop the panel right after the measured load, so
 * start-up and set-up fall outside.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly sampledMs: number;
  readonly selfByPackage: ReadonlyArray<readonly [string, number]>;
  readonly selfByFunction: ReadonlyArray<readonly [string, number]>;
  readonly inclusiveByFunction: ReadonlyArray<readonly [string, number]>;
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/')
    .replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
}

function packageKey(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName; // (idle), (garbage collector), (program), native functions
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1]) return dependency[1];
  const workspace = /\/packages\/([^/]+\/src\/[^/]+)/.exec(url);
  if (workspace?.[1]) return `packages/${workspace[1]}`;
  if (url.startsWith('node:')) return 'node: (runtime)';
  if (url.startsWith('wasm://')) return 'wasm';
  return url;
}

/** Sums the profile's samples, optionally only those in the last `lastSeconds`. */
export function summarizeProfile(profile: CpuProfile, lastSeconds?: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const from = lastSeconds === undefined ? Number.NEGATIVE_INFINITY : profile.endTime - lastSeconds * 1e6;
  const selfById = new Map<number, number>();
  let time = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (time < from) return;
    selfById.set(id, (selfById.get(id) ?? 0) + duration);
    total += duration;
  });
  const selfByPackage = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, duration] of selfById) {
    const node = byId.get(id);
    if (!node) continue;
    selfByPackage.set(packageKey(node), (selfByPackage.get(packageKey(node)) ?? 0) + duration);
    selfByFunction.set(functionKey(node), (selfByFunction.get(functionKey(node)) ?? 0) + duration);
    const counted = new Set<string>(); // recursion counts once
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const ancestor = byId.get(at);
      if (!ancestor) break;
      const key = functionKey(ancestor);
      if (counted.has(key)) continue;
      counted.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + duration);
    }
  }
  const sorted = (map: Map<string, number>) =>
    [...map].map(([k, us]) => [k, us / 1000] as const).sort((a, b) => b[1] - a[1]);
  return {
    sampledMs: total / 1000,
    selfByPackage: sorted(selfByPackage),
    selfByFunction: sorted(selfByFunction),
    inclusiveByFunction: sorted(inclusive),
  };
}

export function formatProfileSummary(summary: ProfileSummary, top = 25): string {
  const rows = (entries: ProfileSummary['selfByPackage']) =>
    entries
      .slice(0, top)
      .map(
        ([key, ms]) =>
          `${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / summary.sampledMs).toFixed(1).padStart(5)} %  ${key}`,
      )
      .join('\n');
  return [
    `sampled: ${summary.sampledMs.toFixed(0)} ms`,
    '',
    '== self time by package',
    rows(summary.selfByPackage),
    '',
    '== self time by function',
    rows(summary.selfByFunction),
    '',
    '== inclusive time by function',
    rows(summary.inclusiveByFunction.filter(([key]) => key !== '(root)')),
  ].join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'last-seconds': { type: 'string' }, top: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: cpu-profile-summary.ts <file.cpuprofile> [--last-seconds S] [--top N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const last = values['last-seconds'] === undefined ? undefined : Number(values['last-seconds']);
  process.stdout.write(
    `${formatProfileSummary(summarizeProfile(profile, last), Number(values.top ?? 25))}\n`,
  );
}
