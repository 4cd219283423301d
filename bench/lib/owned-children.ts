import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Remembers a child this benchmark started so that it is killed (by its own
 * pid) if the benchmark exits without stopping it, e.g. after a crash: a
 * stray panel would hold its port and disturb the next benchmark.
 */
export function ownChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const orphan of live)
      if (orphan.exitCode === null && orphan.signalCode === null) orphan.kill('SIGKILL');
  });
}
