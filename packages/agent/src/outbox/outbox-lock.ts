import { open, readFile, unlink } from 'node:fs/promises';
import { OutboxError } from './outbox-error.ts';

/** Directories this process holds open: a second open in-process would interleave writes. */
const heldHere = new Set<string>();

/**
 * Who a PID is: boot ID plus the process start time (Linux /proc). A PID
 * alone is not enough: after a power loss the lock's PID may belong to some
 * other process, which must not keep the agent from its own outbox.
 * Undefined when the process is gone; just the PID where /proc is missing.
 */
async function processIdentity(pid: number): Promise<string | undefined> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // proc(5): field 22 is starttime; fields restart after the parenthesised command name.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${pid} ${bootId} ${startTime}`;
  } catch {
    return `${pid}`;
  }
}

/**
 * One writer per outbox directory. The lock file names its owner; a lock
 * whose owner is gone (SIGKILL, power loss) is stale and taken over, so a
 * crashed agent never blocks its own restart.
 */
export class OutboxLock {
  readonly #path: string;

  private constructor(path: string) {
    this.#path = path;
  }

  static async acquire(dir: string): Promise<OutboxLock> {
    const path = `${dir}/outbox.lock`;
    if (heldHere.has(path)) {
      throw new OutboxError('OUTBOX_LOCKED', `outbox ${dir} is already open in this process`);
    }
    const me = (await processIdentity(process.pid)) ?? `${process.pid}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(path, 'wx', 0o600);
        await handle.writeFile(`${me}\n`);
        await handle.close();
        heldHere.add(path);
        return new OutboxLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const recorded = (await readFile(path, 'utf8').catch(() => '')).trim();
      const pid = Number.parseInt(recorded, 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
        const current = await processIdentity(pid);
        if (current !== undefined && (current === recorded || !recorded.includes(' '))) {
          throw new OutboxError('OUTBOX_LOCKED', `outbox ${dir} is open in process ${pid}`, {
            details: { pid },
          });
        }
      }
      await unlink(path).catch(() => undefined);
    }
    throw new OutboxError('OUTBOX_LOCKED', `outbox ${dir}: another process keeps taking the lock`);
  }

  async release(): Promise<void> {
    heldHere.delete(this.#path);
    await unlink(this.#path).catch(() => undefined);
  }
}
