import { spawnSync } from 'node:child_process';

/** CI sets PALISADE_TEST_STRICT=1: a test that would skip for a missing tool fails instead. */
export const STRICT = process.env.PALISADE_TEST_STRICT === '1';

const probes = new Map<string, boolean>();

export function hasCommand(command: string, versionArgs: readonly string[] = ['--version']): boolean {
  let found = probes.get(command);
  if (found === undefined) {
    const result = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 10_000 });
    found = result.error === undefined;
    probes.set(command, found);
  }
  return found;
}

/**
 * For `it(name, { skip: skipUnlessCommand('openssl') }, …)`: a reason to skip
 * when the tool is missing, except in strict mode, where the test runs and
 * fails on the missing tool instead of hiding it.
 */
export function skipUnlessCommand(command: string, versionArgs?: readonly string[]): string | false {
  if (hasCommand(command, versionArgs)) return false;
  return STRICT ? false : `${command} is not installed (apt-get install it, or run .ci/run)`;
}

/** The PostgreSQL server to test against, when the suite runs on PostgreSQL. */
export function postgresUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url === undefined || url === '' ? undefined : url;
}
