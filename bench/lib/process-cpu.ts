import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, all threads) a process has used so far, in
 * seconds, from /proc/<pid>/stat; undefined where there is no /proc. The
 * difference over a load run, divided by the requests served, is the
 * server's CPU cost per request, which does not depend on whether the load
 * generator or the server was the bottleneck.
 */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // proc(5): the command name (field 2) may contain spaces, so count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (utime + stime) / ticksPerSecond;
}

/** The direct children of a process (Linux ≥ 3.5 with /proc/<pid>/task/<tid>/children), [] elsewhere. */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((s) => s.trim() !== '')
        .map(Number);
    } catch {
      return [];
    }
  });
}

/**
 * CPU time of a process and all its live descendants (a pre-forking server
 * such as `openssl ocsp -multi N`), in seconds. Children that exited between
 * two readings are missed, so compare readings only while the tree is stable.
 */
export function processTreeCpuSeconds(pid: number): number | undefined {
  const own = processCpuSeconds(pid);
  if (own === undefined) return undefined;
  return childPids(pid).reduce((sum, child) => sum + (processTreeCpuSeconds(child) ?? 0), own);
}

/**
 * CPU time of every process on the machine whose command name (`comm`, at
 * most 15 characters) is `name`, e.g. `postgres` (the server, its backends
 * and workers) or `rsyslogd`, in seconds. Processes that exited between two
 * readings are missed, as with processTreeCpuSeconds.
 */
export function namedProcessesCpuSeconds(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
    } catch {
      continue;
    }
    total += processCpuSeconds(Number(entry)) ?? 0;
  }
  return total;
}
