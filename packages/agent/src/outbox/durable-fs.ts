import { access, constants, type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OutboxError } from './outbox-error.ts';

/** Wraps a failed write/fsync: after one, what reached the disk is unknown (PostgreSQL's "fsyncgate"). */
export function ioFailed(what: string, cause: unknown): OutboxError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new OutboxError('OUTBOX_IO_FAILED', `outbox: ${what} failed (${code}); reopen the outbox`, {
    cause,
    details: { errno: code },
  });
}

/** Makes entries created, renamed or removed in `dir` survive a power loss (POSIX leaves this to the caller). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes all of `data` at `position`, looping over short writes. */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Replaces `path` atomically: temp file, fsync, rename over, fsync the
 * directory. A crash leaves either the old file or the new one, never half.
 */
export async function replaceFileDurably(path: string, data: Buffer): Promise<void> {
  const temp = `${path}.tmp`;
  await unlink(temp).catch(() => undefined);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await writeAll(handle, data, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await fsyncDir(dirname(path));
}

/** Moves a damaged file aside for an operator instead of deleting data that may still matter. */
export async function quarantine(dir: string, path: string, name: string): Promise<string> {
  const target = `${dir}/quarantine/${Date.now()}-${name}`;
  await mkdir(`${dir}/quarantine`, { recursive: true, mode: 0o700 });
  await rename(path, target);
  await fsyncDir(`${dir}/quarantine`);
  return target;
}

/** OUTBOX_UNREADABLE naming the directory and the errno, nothing else. */
export function unreadable(dir: string, cause: unknown): OutboxError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new OutboxError('OUTBOX_UNREADABLE', `outbox directory ${dir} cannot be used (${code})`, {
    cause,
    details: { errno: code },
  });
}

/** Creates the outbox layout (0700: records may hold device data) and checks this process may use it. */
export async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(`${dir}/journal`, { recursive: true, mode: 0o700 });
    for (const path of [dir, `${dir}/journal`]) {
      await access(path, constants.R_OK | constants.W_OK | constants.X_OK);
    }
  } catch (cause) {
    throw unreadable(dir, cause);
  }
}
