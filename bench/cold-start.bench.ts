/**
 * cold-start: how long `palisade server` takes from spawn until `/readyz`
 * answers 200, on an empty data directory (cold: PGlite initdb, migrations,
 * CA hierarchy, first admin) and again on the same directory (warm restart),
 * and how long a graceful shutdown takes after SIGTERM. Reference: a bare
 * `node -e ''` start-to-exit, measured in the same run. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { emitResult } from './lib/bench-result.ts';
import { machineFacts } from './lib/machine.ts';
import {
  benchSecrets,
  type PanelProcess,
  REPO_ROOT,
  startPanelProcess,
  stopPanelCleanly,
} from './lib/panel-process.ts';
import { progressReporter } from './lib/progress.ts';
import { roundFigure, summarize } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'cold-start';
const WARM_RESTARTS = Number(process.env.BENCH_WARM_RESTARTS ?? 5);
const BARE_RUNS = 5;
const TARGET_WARM_MS = 1500;

const progress = progressReporter(NAME);

/** Spawn to exit of a Node process, in milliseconds. */
async function timeProcess(args: readonly string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`);
  return elapsed;
}

const ms = (value: number) => roundFigure(value);

await using work = await createWorkDir(NAME);
const dataDir = join(work.path, 'data');
const secrets = benchSecrets();

// Page-cache warm-up: one run that loads every module of the CLI and server,
// so that "cold" below means an empty data directory, not a cold disk cache.
await timeProcess([join(REPO_ROOT, 'packages/cli/src/main.ts'), 'server', '--help']);
await timeProcess(['-e', '']);

const bare: number[] = [];
for (let i = 0; i < BARE_RUNS; i++) bare.push(await timeProcess(['-e', '']));
const bareSummary = summarize(bare);
progress(`bare node -e '': median ${ms(bareSummary.median)} ms over ${BARE_RUNS} runs`);

const shutdowns: number[] = [];
async function runPanel(label: string): Promise<number> {
  const panel: PanelProcess = await startPanelProcess({
    dataDir,
    secrets,
    logPrefix: join(work.path, label.replace(/[^a-z0-9]+/gi, '-')),
  });
  const { exitMs } = await stopPanelCleanly(panel);
  shutdowns.push(exitMs);
  progress(`${label}: ready in ${ms(panel.readyMs)} ms, exited ${ms(exitMs)} ms after SIGTERM`);
  return panel.readyMs;
}

const coldMs = await runPanel('cold start');
const warm: number[] = [];
for (let i = 1; i <= WARM_RESTARTS; i++) warm.push(await runPanel(`warm restart ${i}/${WARM_RESTARTS}`));
const warmSummary = summarize(warm);
const shutdownSummary = summarize(shutdowns);

emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    warmRestartMedianMs: ms(warmSummary.median),
    warmRestartMinMs: ms(warmSummary.min),
    warmRestartMaxMs: ms(warmSummary.max),
    warmRestartsMs: warm.map(ms),
    coldStartMs: ms(coldMs),
    shutdownMedianMs: ms(shutdownSummary.median),
    shutdownMaxMs: ms(shutdownSummary.max),
    shutdownsMs: shutdowns.map(ms),
  },
  reference: {
    what: "bare Node process start to exit: `node -e ''` with the same binary",
    figures: {
      medianMs: ms(bareSummary.median),
      minMs: ms(bareSummary.min),
      maxMs: ms(bareSummary.max),
      samplesMs: bare.map(ms),
    },
  },
  ratio: roundFigure(warmSummary.median / bareSummary.median),
  target: {
    description: `warm restart (spawn → /readyz 200) median < ${TARGET_WARM_MS} ms`,
    value: TARGET_WARM_MS,
  },
  pass: warmSummary.median < TARGET_WARM_MS,
  method:
    `Spawns \`node packages/cli/src/main.ts server --data-dir <tmp> --operator-port 0 --device-port 0 ` +
    `--bind 127.0.0.1 --log-level info\` (stdout to a file) and times spawn → first 200 from GET /readyz ` +
    `(HTTPS, verified against <dataDir>/ca/root-ca.pem; polled every 10 ms once the "panel ready" log ` +
    `line names the port). Cold: empty data directory (PGlite initdb, migrations, CA hierarchy, first ` +
    `admin). Then SIGTERM, timed until the process exits with code 0 (graceful shutdown), and ` +
    `${WARM_RESTARTS} warm restarts on the same directory. One \`server --help\` run first warms the ` +
    `page cache. Reference: median of ${BARE_RUNS} \`node -e ''\` runs (spawn → exit); ratio = warm ` +
    `restart median / bare median.`,
});
