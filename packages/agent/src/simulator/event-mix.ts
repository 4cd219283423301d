import { randomInt } from 'node:crypto';

/** One kind of event a simulated device emits, with its severity and relative frequency. */
interface EventKind {
  readonly kind: string;
  readonly severity: number;
  readonly weight: number;
  body(deviceId: string): Record<string, string | number | boolean>;
}

/**
 * A realistic mix for an industrial gateway: mostly routine network and
 * process activity, some failed logins, rare integrity and tamper alarms.
 * The panel's detection rules (events issue) get something to chew on.
 */
const MIX: readonly EventKind[] = [
  {
    kind: 'net.connection',
    severity: 1,
    weight: 50,
    body: () => ({
      peer: `10.0.${randomInt(256)}.${randomInt(256)}`,
      port: [502, 4840, 443, 22][randomInt(4)] ?? 443,
    }),
  },
  {
    kind: 'process.started',
    severity: 2,
    weight: 25,
    body: () => ({ name: ['modbus-bridge', 'opcua-client', 'sshd', 'cron'][randomInt(4)] ?? 'cron' }),
  },
  {
    kind: 'auth.login-failed',
    severity: 5,
    weight: 15,
    body: () => ({
      user: ['root', 'admin', 'operator'][randomInt(3)] ?? 'root',
      source: `192.0.2.${randomInt(256)}`,
    }),
  },
  {
    kind: 'file.changed',
    severity: 6,
    weight: 8,
    body: () => ({
      path: ['/etc/passwd', '/etc/ssh/sshd_config', '/opt/plc/config.xml'][randomInt(3)] ?? '/etc/passwd',
    }),
  },
  { kind: 'tamper.detected', severity: 9, weight: 2, body: () => ({ sensor: 'enclosure', state: 'open' }) },
];
const TOTAL = MIX.reduce((sum, kind) => sum + kind.weight, 0);

export interface SimulatedEvent {
  readonly kind: string;
  readonly severity: number;
  readonly body: Record<string, string | number | boolean>;
}

export function nextEvent(deviceId: string): SimulatedEvent {
  let pick = randomInt(TOTAL);
  for (const kind of MIX) {
    if (pick < kind.weight) return { kind: kind.kind, severity: kind.severity, body: kind.body(deviceId) };
    pick -= kind.weight;
  }
  const fallback = MIX[0] as EventKind;
  return { kind: fallback.kind, severity: fallback.severity, body: fallback.body(deviceId) };
}

/** An exponentially distributed gap (a Poisson process) with the given mean. */
export function poissonGapMs(meanMs: number): number {
  return Math.round(-Math.log(1 - Math.random()) * meanMs);
}
