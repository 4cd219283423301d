import { EVENT_KIND, EVENT_SEVERITY, eventBody } from './agent-driver.ts';

/** One outbox record's content, as an agent reports it: `agent.report(kind, severity, body)`. */
export interface MixedReport {
  readonly kind: string;
  readonly severity: number;
  readonly body: { [key: string]: string | number | boolean | string[] };
}

const PORTS = [443, 8883, 502, 22] as const;
const PROCESSES = ['sshd', 'modbusd', 'python3', 'busybox'] as const;
const USERS = ['root', 'admin', 'operator', 'pi'] as const;
const PATHS = ['/etc/passwd', '/etc/hosts', '/opt/plc/config.yaml', '/var/lib/app/state.db'] as const;

function pick<T>(values: readonly T[], seq: number): T {
  return values[seq % values.length] as T;
}

/**
 * A plausible day of an industrial gateway's event stream, by `seq % 100`:
 * 70 % process executions (the ≈ 170-byte `process.exec` body of the other
 * benchmarks), 10 % network connections, 8 % process starts, 5 % failed
 * logins, 4 % watched-file changes, 3 % more connections. Deterministic, so
 * that every run offers the detection rules the same work; `device` varies
 * the addresses per device. Types and fields follow the event catalogue
 * (packages/core/src/events/event-catalogue.ts) so that the rules of
 * bench/lib/detection-rule-mix.ts see what they test.
 */
export function mixedReport(seq: number, device: number): MixedReport {
  const slot = seq % 100;
  if (slot < 70) return { kind: EVENT_KIND, severity: EVENT_SEVERITY, body: eventBody(seq) };
  if (slot < 80 || slot >= 97)
    return {
      kind: 'net.connection',
      severity: 1,
      body: { peer: `10.${device % 256}.${(seq >> 8) % 256}.${seq % 256}`, port: pick(PORTS, seq), seq },
    };
  if (slot < 88)
    return {
      kind: 'process.started',
      severity: 2,
      body: { name: pick(PROCESSES, seq), pid: 2_000 + (seq % 30_000), user: pick(USERS, seq >> 2), seq },
    };
  if (slot < 93)
    return {
      kind: 'auth.login-failed',
      severity: 5,
      body: { user: pick(USERS, seq), source: `192.168.${device % 256}.${seq % 200}`, seq },
    };
  return { kind: 'file.changed', severity: 6, body: { path: pick(PATHS, seq), seq } };
}
