/**
 * The files of a `config` policy on disk: written all-or-nothing (each to a
 * temporary file in its own directory, with mode and owner set and fsync'd
 * before any rename; a failed rename puts back the files already replaced),
 * and read back as a hash of bytes, mode and owner for drift detection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { canonicalJson } from '@palisade/core';
import { PolicyApplyError } from './policy-apply-error.ts';

export interface PlannedFile {
  readonly path: string;
  readonly bytes: Buffer;
  /** Permission bits, e.g. 0o640. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** One managed path as found on disk: what drift is judged by. Never its content, only a hash. */
export type FileState =
  | {
      readonly path: string;
      readonly kind: 'file';
      readonly sha256: string;
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
    }
  | { readonly path: string; readonly kind: 'absent' | 'other' };

type Previous =
  | {
      readonly kind: 'file';
      readonly bytes: Buffer;
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
    }
  | { readonly kind: 'link'; readonly target: string }
  | { readonly kind: 'absent' }
  /** Not something this module writes (a directory the renames will fail on): left as it is. */
  | { readonly kind: 'other' };

const READ_CHUNK = 64 * 1024;

/** What the files should look like once written: the hash an apply records. */
export function plannedState(files: readonly PlannedFile[]): FileState[] {
  return files.map((file) => ({
    path: file.path,
    kind: 'file',
    sha256: createHash('sha256').update(file.bytes).digest('hex'),
    mode: file.mode,
    uid: file.uid,
    gid: file.gid,
  }));
}

/** What the paths look like now; a symbolic link, directory or device in a file's place is `other`. */
export async function liveState(paths: readonly string[]): Promise<FileState[]> {
  return Promise.all(paths.map(readFileState));
}

/** Lower-case hex SHA-256 over the states' canonical JSON: the config kind's liveStateHash. */
export function fileStatesHash(states: readonly FileState[]): string {
  return createHash('sha256').update(canonicalJson(states)).digest('hex');
}

/**
 * Replaces every planned file or none: temporary files first (mode, owner,
 * fsync), then the renames, then an fsync of each directory so the renames
 * survive a power cut. Throws CONFIG_WRITE_FAILED; the paths are then as
 * they were (best effort if even putting them back fails, which is logged in
 * the error's details).
 */
export async function writeConfigFiles(files: readonly PlannedFile[]): Promise<void> {
  const previous = await Promise.all(files.map((file) => snapshot(file.path)));
  const temporaries: string[] = [];
  try {
    for (const file of files) temporaries.push(await writeTemporary(file));
  } catch (error) {
    await Promise.all(temporaries.map((temporary) => rm(temporary, { force: true })));
    throw failed(`cannot write a temporary file for ${files[temporaries.length]?.path ?? 'a file'}`, error);
  }
  let renamed = 0;
  try {
    for (const [index, file] of files.entries()) {
      await rename(temporaries[index] as string, file.path);
      renamed += 1;
    }
  } catch (error) {
    await Promise.all(temporaries.slice(renamed).map((temporary) => rm(temporary, { force: true })));
    const unrestored: string[] = [];
    for (let index = renamed - 1; index >= 0; index -= 1) {
      const file = files[index] as PlannedFile;
      await restore(file.path, previous[index] as Previous).catch(() => unrestored.push(file.path));
    }
    throw failed(
      `cannot put ${files[renamed]?.path ?? 'a file'} in place; the files already replaced were put back`,
      error,
      {
        unrestored,
      },
    );
  }
  for (const directory of new Set(files.map((file) => dirname(file.path)))) await syncDirectory(directory);
}

async function writeTemporary(file: PlannedFile): Promise<string> {
  const temporary = join(
    dirname(file.path),
    `.${basename(file.path)}.${randomBytes(6).toString('hex')}.palisade-tmp`,
  );
  // O_EXCL: never opens an existing path, so a link planted at the temporary name is not followed.
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(file.bytes);
    // Owner first: chown(2) clears setuid/setgid bits, and the mode must be exactly the policy's.
    await handle.chown(file.uid, file.gid);
    await handle.chmod(file.mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  return temporary;
}

async function snapshot(path: string): Promise<Previous> {
  const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw failed(`cannot inspect ${path}`, error);
  });
  if (found === undefined) return { kind: 'absent' };
  try {
    if (found.isSymbolicLink()) return { kind: 'link', target: await readlink(path) };
    if (!found.isFile()) return { kind: 'other' };
    return {
      kind: 'file',
      bytes: await readFile(path),
      mode: found.mode & 0o7777,
      uid: found.uid,
      gid: found.gid,
    };
  } catch (error) {
    throw failed(`cannot keep a copy of ${path} to put back on failure`, error);
  }
}

async function restore(path: string, previous: Previous): Promise<void> {
  if (previous.kind === 'other') return;
  if (previous.kind === 'absent') {
    await rm(path, { force: true });
    return;
  }
  if (previous.kind === 'link') {
    const temporary = `${path}.${randomBytes(6).toString('hex')}.palisade-tmp`;
    await symlink(previous.target, temporary);
    await rename(temporary, path);
    return;
  }
  await rename(await writeTemporary({ path, ...previous }), path);
}

async function readFileState(path: string): Promise<FileState> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, kind: 'absent' };
    // ELOOP: a symbolic link in the file's place; anything else unreadable is not the file we wrote.
    return { path, kind: 'other' };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { path, kind: 'other' };
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return {
      path,
      kind: 'file',
      sha256: hash.digest('hex'),
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
    };
  } finally {
    await handle.close();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function failed(message: string, cause: unknown, details?: Record<string, unknown>): PolicyApplyError {
  return new PolicyApplyError('CONFIG_WRITE_FAILED', message, { cause, ...(details ? { details } : {}) });
}
