import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface KeyPassphrase {
  readonly value: string;
  /** Where it came from: production must supply its own (`env`). */
  readonly source: 'env' | 'generated' | 'data-dir';
}

export const PASSPHRASE_FILE = 'key-passphrase';

/**
 * The key-encryption passphrase for the CA private keys: from
 * PALISADE_KEY_PASSPHRASE, or else generated once (256 bits) and kept 0600 in
 * the data directory, which is only acceptable for a lab or a demo: anyone who
 * copies the data directory then has the keys.
 */
export async function resolveKeyPassphrase(
  dataDir: string,
  fromEnv: string | undefined,
): Promise<KeyPassphrase> {
  if (fromEnv !== undefined && fromEnv.length > 0) {
    if (fromEnv.length < 16) throw new Error('PALISADE_KEY_PASSPHRASE must be at least 16 characters');
    return { value: fromEnv, source: 'env' };
  }
  const file = join(dataDir, PASSPHRASE_FILE);
  try {
    return { value: (await readFile(file, 'utf8')).trim(), source: 'data-dir' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = randomBytes(32).toString('base64url');
  await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, source: 'generated' };
}
