import { watch } from 'node:fs';
import { open } from 'node:fs/promises';

export interface LogWait {
  readonly timeoutMs: number;
  /** Checked on every read: a reason to stop waiting, e.g. the process exited. */
  readonly giveUp?: () => string | undefined;
}

/**
 * Waits until a process writing JSON lines to `path` (its stdout redirected
 * to a file, so the benchmark never has to drain a pipe while it measures)
 * logs a line that `matches`, and returns that line parsed. Woken by inotify
 * (`fs.watch`) with a 25 ms poll as a fallback.
 */
export async function waitForLogLine(
  path: string,
  matches: (line: Record<string, unknown>) => boolean,
  wait: LogWait,
): Promise<Record<string, unknown>> {
  const file = await open(path, 'r');
  const watcher = watch(path);
  let offset = 0;
  let partial = '';
  let wake: () => void = () => {};
  watcher.on('change', () => wake());
  watcher.on('error', () => {});
  const poll = setInterval(() => wake(), 25);
  const deadline = performance.now() + wait.timeoutMs;
  try {
    for (;;) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (matches(parsed)) return parsed;
        } catch {
          // not a JSON log line
        }
      }
      if (bytesRead === buffer.length) continue;
      const reason = wait.giveUp?.();
      if (reason !== undefined) throw new Error(reason);
      if (performance.now() >= deadline)
        throw new Error(`no matching log line in ${path} after ${wait.timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(poll);
    watcher.close();
    await file.close();
  }
}
