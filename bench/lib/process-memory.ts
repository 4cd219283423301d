import { readFileSync } from 'node:fs';

/** A `kB` line of /proc/<pid>/status (VmRSS, RssAnon, RssFile, VmHWM), in bytes; undefined once the process is gone. */
export function statusBytes(pid: number, field: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Like statusBytes, but a process that is gone (or a field that is missing) is an error naming `what`. */
export function requireStatusBytes(pid: number, field: string, what: string): number {
  const value = statusBytes(pid, field);
  if (value === undefined) throw new Error(`${what} (pid ${pid}) has no ${field}: did it exit?`);
  return value;
}
