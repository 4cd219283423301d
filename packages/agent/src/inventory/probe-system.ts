import { machine } from 'node:os';
import { readLineFact, readTextFact } from './bounded-read.ts';
import { known, mapFact, unknown } from './fact.ts';
import { parseOsRelease, toOsRelease } from './os-release.ts';
import { parseCpuinfo, parseMemTotal } from './proc-system.ts';
import type { CpuInfo, Fact, KernelInfo, OsRelease } from './types.ts';

/** Kernel facts come from /proc/sys/kernel, which is what uname(2) reports, so a test root can fake them. */
export function probeHostname(root: string): Promise<Fact<string>> {
  return readLineFact(root, '/proc/sys/kernel/hostname');
}

export async function probeKernel(root: string): Promise<KernelInfo> {
  const [release, version] = await Promise.all([
    readLineFact(root, '/proc/sys/kernel/osrelease'),
    readLineFact(root, '/proc/sys/kernel/version'),
  ]);
  return { release, version };
}

/**
 * /proc/sys/kernel/arch (Linux 6.1+) is `uname -m`. Older kernels lack it; on
 * the live root uname(2) itself answers, but under another root that would
 * describe this machine rather than the one the root belongs to.
 */
export async function probeArchitecture(root: string): Promise<Fact<string>> {
  const arch = await readLineFact(root, '/proc/sys/kernel/arch');
  if (arch.known || root !== '/') return arch;
  const fromUname = machine();
  return fromUname === '' ? arch : known(fromUname);
}

/** os-release(5): /etc/os-release, falling back to /usr/lib/os-release only when the former does not exist. */
export async function probeOsRelease(root: string): Promise<Fact<OsRelease>> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await readTextFact(root, path, 64 * 1024);
    if (text.known) return known(toOsRelease(parseOsRelease(text.value), path));
    if (!text.reason.endsWith('not found')) return text;
  }
  return unknown('file /etc/os-release not found, nor /usr/lib/os-release');
}

export async function probeCpu(root: string): Promise<CpuInfo> {
  const text = await readTextFact(root, '/proc/cpuinfo');
  if (!text.known) return { model: text, cores: text };
  const facts = parseCpuinfo(text.value);
  return {
    model: facts.model === undefined ? unknown('no CPU model in /proc/cpuinfo') : known(facts.model),
    cores:
      facts.processors === 0 ? unknown('no processor entries in /proc/cpuinfo') : known(facts.processors),
  };
}

export async function probeMemory(root: string): Promise<Fact<number>> {
  const text = await readTextFact(root, '/proc/meminfo');
  const bytes = mapFact(text, parseMemTotal);
  if (!bytes.known) return bytes;
  return bytes.value === undefined ? unknown('no MemTotal in /proc/meminfo') : known(bytes.value);
}
