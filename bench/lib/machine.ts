import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** What a reader needs to compare figures across machines. */
export interface MachineFacts {
  /** Logical CPUs this process may use. */
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly openssl: string;
  readonly os: string;
}

function distribution(): string | undefined {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1];
  } catch {
    return undefined;
  }
}

export function machineFacts(): MachineFacts {
  const distro = distribution();
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    os: `${os.type()} ${os.release()} ${os.arch()}${distro ? ` (${distro})` : ''}`,
  };
}
