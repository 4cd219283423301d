import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';

/** Reads a file the user named, or says which one could not be read. */
export async function readUserFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CliError(
      'FILE_UNREADABLE',
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
}
