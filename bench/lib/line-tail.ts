import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Wall-clock time in milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface LineTail {
  /** Complete lines seen so far (since the starting offset). */
  readonly lines: number;
  /** When the first and the latest complete line were seen (epochMs), undefined before the first. */
  readonly firstSeenAt: number | undefined;
  readonly lastSeenAt: number | undefined;
  /** Resolves once `lines` reaches `count`, rejects after `idleTimeoutMs` without a new line. */
  waitFor(count: number, idleTimeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Follows a file another process appends lines to (rsyslog's output), from
 * `fromOffset` (default: its current end), and hands over every complete
 * line with the time it was seen: woken by inotify (`fs.watch`) on each
 * write, with a `pollMs` poll as a fallback; waits for the file if it does
 * not exist yet. A line is "seen" when a read returns it, so the figures
 * include one read after the writer's `write(2)`: the same for every
 * measurement made through it.
 */
export async function tailLines(
  path: string,
  options: {
    readonly fromOffset?: number;
    readonly pollMs?: number;
    readonly onLines?: (lines: readonly string[], seenAt: number) => void;
  } = {},
): Promise<LineTail> {
  const pollMs = options.pollMs ?? 10;
  let offset =
    options.fromOffset ??
    (await stat(path)
      .then((s) => s.size)
      .catch(() => 0));
  let partial = '';
  let lines = 0;
  let firstSeenAt: number | undefined;
  let lastSeenAt: number | undefined;
  let stopped = false;
  let file: FileHandle | undefined;
  let watcher: FSWatcher | undefined;
  let reading = false;
  let again = false;
  let lineWaiter: (() => void) | undefined;
  const buffer = Buffer.alloc(1 << 20);

  const read = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        if (file === undefined) {
          file = await open(path, 'r').catch(() => undefined);
          if (file === undefined) return;
          watcher = watch(path, () => void read());
          watcher.on('error', () => {});
        }
        for (;;) {
          const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
          if (bytesRead === 0) break;
          const seenAt = epochMs();
          offset += bytesRead;
          const text = partial + buffer.toString('utf8', 0, bytesRead);
          const end = text.lastIndexOf('\n');
          if (end === -1) {
            partial = text;
            continue;
          }
          partial = text.slice(end + 1);
          const complete = text.slice(0, end).split('\n');
          lines += complete.length;
          firstSeenAt ??= seenAt;
          lastSeenAt = seenAt;
          options.onLines?.(complete, seenAt);
          lineWaiter?.();
        }
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };

  const poll = setInterval(() => void read(), pollMs);
  await read();
  return {
    get lines() {
      return lines;
    },
    get firstSeenAt() {
      return firstSeenAt;
    },
    get lastSeenAt() {
      return lastSeenAt;
    },
    async waitFor(count, idleTimeoutMs) {
      let seen = lines;
      let idleSince = performance.now();
      while (lines < count) {
        if (lines !== seen) {
          seen = lines;
          idleSince = performance.now();
        }
        if (performance.now() - idleSince > idleTimeoutMs)
          throw new Error(`${path}: ${lines} of ${count} lines, none new for ${idleTimeoutMs} ms`);
        await Promise.race([
          new Promise<void>((resolve) => {
            lineWaiter = resolve;
          }),
          sleep(100),
        ]);
        lineWaiter = undefined;
      }
    },
    async stop() {
      stopped = true;
      clearInterval(poll);
      watcher?.close();
      while (reading) await sleep(1);
      await file?.close();
    },
  };
}
