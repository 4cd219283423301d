import { setTimeout as sleep } from 'node:timers/promises';
import { httpsRequest } from './https-json.ts';

export interface ReadinessPoll {
  /** Trusted root(s) in PEM. */
  readonly ca: string;
  readonly timeoutMs: number;
  /** Pause between attempts; each attempt opens a new connection. */
  readonly intervalMs?: number;
  /** Checked before each attempt: a reason to stop waiting, e.g. the process exited. */
  readonly giveUp?: () => string | undefined;
}

/**
 * Polls `url` until it answers 200. Connection refused, TLS errors and other
 * statuses (503 while starting) mean "not yet"; the last one is reported on
 * timeout.
 */
export async function waitForHttpsOk(url: string, poll: ReadinessPoll): Promise<void> {
  const deadline = performance.now() + poll.timeoutMs;
  let last = 'no attempt';
  for (;;) {
    const reason = poll.giveUp?.();
    if (reason !== undefined) throw new Error(`gave up waiting for ${url}: ${reason}`);
    try {
      const response = await httpsRequest(url, { ca: poll.ca, timeoutMs: 2_000 });
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (performance.now() >= deadline)
      throw new Error(`${url} not ready after ${poll.timeoutMs} ms (${last})`);
    await sleep(poll.intervalMs ?? 10);
  }
}
