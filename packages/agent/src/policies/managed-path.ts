import { lstat, mkdir } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { PolicyApplyError } from './policy-apply-error.ts';

/**
 * The allowed directory `path` lies below, or CONFIG_PATH_REFUSED. A signed
 * policy is still only allowed to write where the device's operator said
 * (agent.yaml `policies.config.allowedDirectories`): a panel compromise must
 * not turn into writing /etc/shadow. Paths are normalized by the policy
 * parser, so a string prefix with a separator is exact.
 */
export function allowedRootOf(path: string, allowed: readonly string[]): string {
  const root = allowed.find((directory) => path.startsWith(`${directory}${sep}`));
  if (root === undefined)
    throw new PolicyApplyError(
      'CONFIG_PATH_REFUSED',
      `${path} is outside the directories this device lets policies write (${allowed.join(', ')})`,
      { details: { path } },
    );
  return root;
}

/**
 * Makes sure every directory from `root` down to `path`'s parent is a real
 * directory, creating missing ones (0755), and that none is a symbolic link:
 * a link planted below the allowed directory would otherwise carry the write
 * out of it. The file itself may be a link: rename(2) replaces the link, it
 * never writes through it. A directory in the file's place is refused.
 * With `create` false it only checks, so that every file of a policy can be
 * checked before any directory is made.
 */
export async function prepareManagedParents(path: string, root: string, create: boolean): Promise<void> {
  const directories = [root];
  for (const part of relative(root, dirname(path))
    .split(sep)
    .filter((p) => p !== '')) {
    directories.push(`${directories.at(-1) ?? root}${sep}${part}`);
  }
  for (const [index, directory] of directories.entries()) {
    const found = await lstatOrUndefined(directory);
    if (found === undefined) {
      // Checking only: nothing below a missing directory exists to be a link.
      if (!create) return;
      await mkdir(directory, { recursive: index === 0, mode: 0o755 }).catch((error: unknown) => {
        throw new PolicyApplyError('CONFIG_WRITE_FAILED', `cannot create the directory ${directory}`, {
          cause: error,
        });
      });
      continue;
    }
    if (found.isSymbolicLink())
      throw new PolicyApplyError(
        'CONFIG_PATH_REFUSED',
        `${directory} is a symbolic link; policies never write through one`,
        {
          details: { path },
        },
      );
    if (!found.isDirectory())
      throw new PolicyApplyError('CONFIG_PATH_REFUSED', `${directory} is not a directory`, {
        details: { path },
      });
  }
  const target = await lstatOrUndefined(path);
  if (target !== undefined && !target.isFile() && !target.isSymbolicLink())
    throw new PolicyApplyError('CONFIG_PATH_REFUSED', `${path} exists and is not a regular file`, {
      details: { path },
    });
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PolicyApplyError('CONFIG_WRITE_FAILED', `cannot inspect ${path}`, { cause: error });
  }
}
