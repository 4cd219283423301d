/**
 * `npm run bench [-- NAME…]`: runs every `bench/*.bench.ts` (or the named
 * ones) one after another, each in its own process group, collects the JSON
 * document each prints, writes them all to `bench/results/<timestamp>.json`,
 * prints the combined document on stdout and a summary table on stderr.
 *
 * Exit status: 0 when every benchmark produced a result (a missed target is
 * a result, `pass: false`), 1 when one crashed, timed out or printed no
 * valid result, 2 for an unknown benchmark name.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type BenchResult, parseBenchResult } from './lib/bench-result.ts';
import { machineFacts } from './lib/machine.ts';
import { type BenchCrash, formatSummary } from './lib/summary-table.ts';

const BENCH_DIR = import.meta.dirname;
const RESULTS_DIR = join(BENCH_DIR, 'results');
const SUFFIX = '.bench.ts';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 900) * 1000;

const available = (await readdir(BENCH_DIR))
  .filter((file) => file.endsWith(SUFFIX))
  .map((file) => file.slice(0, -SUFFIX.length))
  .sort();
const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : available;

let current: { pid: number } | undefined;
// The benchmarks run in their own process groups (so a timeout can stop a
// benchmark and the panels it started): pass an interrupt on to the group.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    try {
      if (current) process.kill(-current.pid, 'SIGTERM');
    } catch {
      // the group has already exited
    }
    process.exit(130);
  });
}

interface Outcome {
  readonly result?: BenchResult;
  readonly crash?: BenchCrash;
}

async function runOne(name: string): Promise<Outcome> {
  const child = spawn(process.execPath, [join(BENCH_DIR, `${name}${SUFFIX}`)], {
    cwd: join(BENCH_DIR, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  current = { pid: child.pid as number };
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // the group has already exited
    }
  }, TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('error', () => resolve([null, null]));
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  clearTimeout(timer);
  current = undefined;
  if (timedOut) return { crash: { name, error: `timed out after ${TIMEOUT_MS / 1000} s` } };
  if (code !== 0) return { crash: { name, error: `exited with ${signal ?? code}` } };
  try {
    const result = parseBenchResult(Buffer.concat(chunks).toString('utf8'));
    if (result.name !== name) throw new Error(`reported name ${result.name}, expected ${name}`);
    return { result };
  } catch (error) {
    return { crash: { name, error: (error as Error).message } };
  }
}

const startedAt = new Date();
const loadAtStart = loadavg()[0] ?? 0;
const cpus = machineFacts().cpus;
if (loadAtStart > cpus / 2) {
  process.stderr.write(
    `warning: load average ${loadAtStart.toFixed(2)} on ${cpus} CPUs; other work will disturb the figures\n`,
  );
}
const results: BenchResult[] = [];
const crashes: BenchCrash[] = [];
for (const [i, name] of selected.entries()) {
  process.stderr.write(`\n== [${i + 1}/${selected.length}] ${name}\n`);
  const started = performance.now();
  const outcome = await runOne(name);
  if (outcome.result) results.push(outcome.result);
  if (outcome.crash) crashes.push(outcome.crash);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(
    `== ${name}: ${outcome.crash ? `CRASHED (${outcome.crash.error})` : 'done'} in ${seconds} s\n`,
  );
}

const finishedAt = new Date();
const report = {
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  machine: machineFacts(),
  loadAverage1m: { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 },
  results,
  crashes,
};
await mkdir(RESULTS_DIR, { recursive: true });
const file = join(RESULTS_DIR, `${startedAt.toISOString().replaceAll(':', '-')}.json`);
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`\n${formatSummary(results, crashes)}\n\nresults: ${file}\n`);
process.exitCode = crashes.length > 0 ? 1 : 0;
