import { readFile } from 'node:fs/promises';
import { PolicyApplyError } from './policy-apply-error.ts';

/** Where user and group names are looked up; the files' paths are replaceable for tests. */
export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
}

export const SYSTEM_ACCOUNT_FILES: AccountFiles = { passwd: '/etc/passwd', group: '/etc/group' };

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Resolves a config file's owner (default root) and group (default the
 * owner's primary group) to ids from passwd(5) and group(5). Node has no
 * getpwnam; names from NSS sources other than the files (LDAP, systemd
 * dynamic users) are not found, which refuses the file rather than guess.
 */
export async function resolveOwner(
  files: AccountFiles,
  owner: string | undefined,
  group: string | undefined,
): Promise<FileOwner> {
  const user = (await entries(files.passwd)).get(owner ?? 'root');
  if (user === undefined)
    throw new PolicyApplyError(
      'CONFIG_OWNER_UNKNOWN',
      `user ${owner ?? 'root'} does not exist on this device`,
    );
  if (group === undefined) return { uid: user.id, gid: user.primaryGroup };
  const found = (await entries(files.group)).get(group);
  if (found === undefined)
    throw new PolicyApplyError('CONFIG_OWNER_UNKNOWN', `group ${group} does not exist on this device`);
  return { uid: user.id, gid: found.id };
}

/** name → ids of a passwd(5) or group(5) file: `name:password:id:…` (passwd's 4th field is the primary gid). */
export function parseAccountFile(text: string): Map<string, { id: number; primaryGroup: number }> {
  const found = new Map<string, { id: number; primaryGroup: number }>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , id, primary] = line.split(':');
    if (name === undefined || name === '' || found.has(name)) continue;
    const uid = Number(id);
    if (id === undefined || !/^\d{1,10}$/.test(id) || uid > 0xfffffffe) continue;
    const gid = primary !== undefined && /^\d{1,10}$/.test(primary) ? Number(primary) : uid;
    found.set(name, { id: uid, primaryGroup: gid });
  }
  return found;
}

async function entries(path: string): Promise<Map<string, { id: number; primaryGroup: number }>> {
  try {
    return parseAccountFile(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PolicyApplyError('CONFIG_OWNER_UNKNOWN', `cannot read ${path} to look up file owners`, {
      cause: error,
    });
  }
}
