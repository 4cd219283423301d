/**
 * Restores lockfile entries for platform-specific optional packages that npm
 * left out (e.g. `@biomejs/cli-darwin-arm64`) because the registry this
 * machine reaches does not serve them. `npm ci` refuses a lockfile that lacks
 * an optional dependency, even one for another platform that it would skip.
 * Each restored entry carries the package's os/cpu/libc, so npm skips it
 * without fetching anything. Run after `npm install` changes the lockfile:
 *
 *   node scripts/complete-lockfile.ts
 */
import { readFile, writeFile } from 'node:fs/promises';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

const PLATFORM =
  /-(aix|android|darwin|freebsd|linux|openbsd|sunos|win32)-(arm|arm64|ia32|loong64|mips64el|ppc64|riscv64|s390x|x64)(-(gnu|musl|msvc))?$/;

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(await readFile(path, 'utf8')) as { packages: Record<string, LockEntry> };
const added: string[] = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target]) continue;
    const match = PLATFORM.exec(name);
    if (!match) {
      process.stderr.write(
        `complete-lockfile: ${name} (optional for ${key}) is missing and not platform-specific; run npm install\n`,
      );
      process.exitCode = 1;
      continue;
    }
    const [, os = '', cpu = '', , libc] = match;
    lock.packages[target] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc === 'musl'
        ? { libc: ['musl'] }
        : os === 'linux' && libc !== undefined
          ? { libc: ['glibc'] }
          : {}),
    };
    added.push(name);
  }
}
await writeFile(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(
  added.length > 0
    ? `complete-lockfile: restored ${added.join(', ')}\n`
    : 'complete-lockfile: nothing missing\n',
);
