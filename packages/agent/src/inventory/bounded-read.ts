import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { known, unknown } from './fact.ts';
import type { Fact } from './types.ts';

/** Default cap for small system files (os-release, cpuinfo on a many-core machine stays far below). */
export const SMALL_FILE_CAP = 4 * 1024 * 1024;

/**
 * Why a file could not be read, naming the path as seen on the device (not the
 * test root), e.g. `file /etc/os-release not found`.
 */
export function fileReason(path: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `file ${path} not found`;
    case 'EACCES':
    case 'EPERM':
      return `file ${path} not readable (permission denied)`;
    default:
      return `file ${path} unreadable (${typeof code === 'string' ? code : 'error'})`;
  }
}

export function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Reads `path` under `root`, refusing more than `maxBytes`. procfs and sysfs
 * report size 0, so the file is read in chunks rather than trusted by stat.
 */
export async function readFileFact(
  root: string,
  path: string,
  maxBytes = SMALL_FILE_CAP,
): Promise<Fact<Buffer>> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(join(root, path), 'r');
  } catch (error) {
    return unknown(fileReason(path, error));
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) return unknown(`file ${path} larger than ${maxBytes} bytes; not parsed`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return known(Buffer.concat(chunks, total));
  } catch (error) {
    return unknown(fileReason(path, error));
  } finally {
    await handle.close();
  }
}

export async function readTextFact(
  root: string,
  path: string,
  maxBytes = SMALL_FILE_CAP,
): Promise<Fact<string>> {
  const bytes = await readFileFact(root, path, maxBytes);
  return bytes.known ? known(bytes.value.toString('utf8')) : bytes;
}

/** A one-line sysfs/procfs value, trimmed; empty counts as unknown. */
export async function readLineFact(root: string, path: string): Promise<Fact<string>> {
  const text = await readTextFact(root, path, 64 * 1024);
  if (!text.known) return text;
  const value = text.value.trim();
  return value === '' ? unknown(`file ${path} is empty`) : known(value);
}

export async function readDirFact(root: string, path: string): Promise<Fact<string[]>> {
  try {
    return known((await readdir(join(root, path))).sort());
  } catch (error) {
    const reason = fileReason(path, error).replace(/^file /, 'directory ');
    return unknown(reason);
  }
}
