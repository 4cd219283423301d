import type { Logger } from 'pino';
import type { PanelEndpoint } from '../channel/panel-tls.ts';
import { sleep } from '../state/backoff.ts';
import { type FleetCounters, VirtualDevice } from './virtual-device.ts';

export interface FleetOptions {
  /** Device IDs to simulate (registered by `provision`). */
  readonly deviceIds: readonly string[];
  readonly endpoints: readonly PanelEndpoint[];
  /** Registers the device if needed and returns a fresh one-time enrollment token for it. */
  readonly provision: (deviceId: string) => Promise<string>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Enrollments in flight at once (the panel answers 429 beyond what it takes). */
  readonly enrollConcurrency?: number;
  readonly eventsPerMinute?: number;
  /** Called every `progressMs` with the counters (and once at the end of enrollment). */
  readonly onProgress?: (summary: FleetSummary) => void;
  readonly progressMs?: number;
  /** Told each time a device verified and acknowledged a policy version. */
  readonly onPolicyAcknowledged?: (deviceId: string, kind: string, version: number) => void;
}

export interface FleetSummary extends FleetCounters {
  readonly devices: number;
  readonly elapsedMs: number;
  readonly phase: 'enrolling' | 'running' | 'stopped';
}

/**
 * `palisade simulate`: many virtual agents in one process, each with its own
 * key and identity, doing the real protocol against a real panel. Devices
 * enroll with bounded concurrency, then run until the signal aborts.
 */
export async function simulateFleet(options: FleetOptions): Promise<FleetSummary> {
  const started = Date.now();
  const counters: FleetCounters = {
    enrolled: 0,
    enrollFailures: 0,
    connected: 0,
    checkIns: 0,
    checkInFailures: 0,
    eventsQueued: 0,
    eventsDelivered: 0,
    deliveryFailures: 0,
    pushes: 0,
    policiesApplied: 0,
    policyFailures: 0,
  };
  let phase: FleetSummary['phase'] = 'enrolling';
  const summary = (): FleetSummary => ({
    ...counters,
    devices: options.deviceIds.length,
    elapsedMs: Date.now() - started,
    phase,
  });
  const progress = setInterval(() => options.onProgress?.(summary()), options.progressMs ?? 2_000);
  const running: Promise<void>[] = [];
  try {
    const queue = [...options.deviceIds];
    const workers = Array.from(
      { length: Math.min(options.enrollConcurrency ?? 16, queue.length) },
      async () => {
        for (
          let deviceId = queue.shift();
          deviceId !== undefined && !options.signal.aborted;
          deviceId = queue.shift()
        ) {
          let token: string;
          try {
            token = await options.provision(deviceId);
          } catch (error) {
            counters.enrollFailures += 1;
            options.logger.warn({ deviceId, err: error }, 'could not provision a simulated device');
            continue;
          }
          const device = new VirtualDevice({
            deviceId,
            endpoints: options.endpoints,
            token,
            logger: options.logger,
            eventsPerMinute: options.eventsPerMinute ?? 6,
            stats: counters,
            ...(options.onPolicyAcknowledged ? { onPolicyAcknowledged: options.onPolicyAcknowledged } : {}),
          });
          await device.enroll(options.signal);
          if (device.state === 'enrolled') {
            running.push(
              device.run(options.signal).catch((error: unknown) => {
                options.logger.error({ deviceId, err: error }, 'simulated device stopped');
              }),
            );
          }
        }
      },
    );
    await Promise.all(workers);
    phase = 'running';
    options.onProgress?.(summary());
    await Promise.all(running);
    // Let the last pushes and deliveries settle before the final count.
    await sleep(0);
    phase = 'stopped';
    return summary();
  } finally {
    clearInterval(progress);
  }
}
