import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WorkDir extends AsyncDisposable {
  readonly path: string;
}

/**
 * A fresh temporary directory for one benchmark run (data directories, logs,
 * certificates), removed on dispose unless BENCH_KEEP_TMP=1 asks to keep it
 * for a post-mortem.
 */
export async function createWorkDir(name: string): Promise<WorkDir> {
  const path = await mkdtemp(join(tmpdir(), `palisade-bench-${name}-`));
  return {
    path,
    async [Symbol.asyncDispose]() {
      if (process.env.BENCH_KEEP_TMP === '1') {
        process.stderr.write(`[${name}] kept ${path}\n`);
        return;
      }
      await rm(path, { recursive: true, force: true });
    },
  };
}
