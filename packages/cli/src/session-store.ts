import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CliError } from './cli-error.ts';

/** What `palisade login` keeps: enough to call the panel again, nothing more. */
export interface StoredSession {
  readonly panel: string;
  readonly username: string;
  readonly token: string;
  /** Absolute path of the trusted root CA; null means the system trust store. */
  readonly caFile: string | null;
  readonly expiresAt: string;
}

/**
 * XDG Base Directory: $XDG_CONFIG_HOME, which the spec says to ignore unless
 * absolute, else ~/.config.
 */
export function sessionPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base =
    xdg !== undefined && isAbsolute(xdg)
      ? xdg
      : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.config');
  return join(base, 'palisade', 'session.json');
}

/**
 * Writes the session readable by its owner only (0600 in a 0700 directory),
 * through a temporary file and a rename, so that a crash never leaves a
 * half-written file or a moment where the token is readable by others.
 */
export async function saveSession(env: NodeJS.ProcessEnv, session: StoredSession): Promise<string> {
  const path = sessionPath(env);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask and ignored for an existing directory.
  await chmod(dir, 0o700);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(session, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return path;
}

function invalid(path: string, why: string): CliError {
  return new CliError('SESSION_FILE_INVALID', `session file ${path} ${why}; run 'palisade login' again`);
}

export async function loadSession(env: NodeJS.ProcessEnv): Promise<StoredSession | undefined> {
  const path = sessionPath(env);
  let text: string;
  try {
    // Like ssh with its keys: a token others can read may already be someone else's.
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0)
      throw invalid(path, `is accessible by other users (mode ${(mode & 0o777).toString(8)}); delete it`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(path, 'is not JSON');
  }
  const o = (parsed ?? {}) as Record<string, unknown>;
  const strings = ['panel', 'username', 'token', 'expiresAt'] as const;
  if (strings.some((k) => typeof o[k] !== 'string') || !(o.caFile === null || typeof o.caFile === 'string'))
    throw invalid(path, 'is not a Palisade session');
  return {
    panel: o.panel as string,
    username: o.username as string,
    token: o.token as string,
    caFile: o.caFile as string | null,
    expiresAt: o.expiresAt as string,
  };
}

/** Returns whether there was a session to delete. */
export async function deleteSession(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    await unlink(sessionPath(env));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
