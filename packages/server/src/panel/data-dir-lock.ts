import { open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../db/index.ts';

export const LOCK_FILE = 'panel.lock';

interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.hostname === 'string'
      ? { pid: owner.pid, hostname: owner.hostname, startedAt: String(owner.startedAt) }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data directory for this process alone. PGlite has no
 * inter-process lock, so two processes on one directory would corrupt the
 * database; the offline tools take the same lock. A lock left by a process
 * that no longer exists (on this host) is taken over: the stale file is
 * renamed away first, which only one contender can do.
 */
export async function acquireDataDirLock(dataDir: string, purpose: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${JSON.stringify({ ...me, purpose })}\n`);
      await handle.sync();
      await handle.close();
      return {
        path,
        async release() {
          const owner = await readOwner(path);
          if (owner?.pid === me.pid && owner.hostname === me.hostname)
            await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (owner && (owner.hostname !== me.hostname || isAlive(owner.pid))) {
      throw new StorageError(
        'DATA_DIR_LOCKED',
        `data directory ${dataDir} is in use by process ${owner.pid} on ${owner.hostname} (since ${owner.startedAt}); ` +
          `stop it first, or remove ${path} if that process is gone`,
        { details: { pid: owner.pid, hostname: owner.hostname } },
      );
    }
    await rename(path, `${path}.stale-${process.pid}`).catch(() => undefined);
    await unlink(`${path}.stale-${process.pid}`).catch(() => undefined);
  }
  throw new StorageError('DATA_DIR_LOCKED', `could not take the lock on ${dataDir}`);
}
