import { readFile } from 'node:fs/promises';
import { simulateFleet } from '@palisade/agent';
import { PalisadeError } from '@palisade/core';
import type { RunningPanel } from '@palisade/server';
import { seedDemoContent } from './demo-content.ts';

/** The demo's two sites: a plant at Basic, a substation at Enhanced with stricter enrollment. */
const DEMO_GROUPS = [
  {
    name: 'plant-a',
    targetLevel: 'SLB',
    requireChannelBinding: false,
    manualApproval: false,
    certificateValidityDays: 90,
  },
  {
    name: 'substation-7',
    targetLevel: 'SLE',
    requireChannelBinding: true,
    manualApproval: false,
    certificateValidityDays: 30,
  },
] as const;

const BY = { actor: 'system:demo-fleet', details: { reason: 'npm start demo fleet' } };

export interface DemoFleet {
  stop(): Promise<void>;
}

/**
 * `palisade server --demo-fleet N` (what `npm start` runs): N simulated
 * devices in two groups, enrolled over EST and connected to this very panel
 * over real mutual TLS, so a newcomer sees a living fleet at once. The
 * substation's devices target Enhanced with software keys: deliberately
 * short of RT-3 (hardware root of trust), for the compliance views to show.
 */
export async function startDemoFleet(panel: RunningPanel, count: number): Promise<DemoFleet> {
  const { devices, enrollmentTokens } = panel.services;
  const logger = panel.logger.child({ component: 'demo-fleet' });
  const existing = new Set((await devices.groups()).map((g) => g.name));
  for (const group of DEMO_GROUPS) if (!existing.has(group.name)) await devices.upsertGroup(BY, group);
  await seedDemoContent(panel);
  const deviceIds = Array.from({ length: count }, (_, i) => {
    const group = DEMO_GROUPS[i % DEMO_GROUPS.length] as (typeof DEMO_GROUPS)[number];
    return {
      id: `demo-${group.name}-${String(Math.floor(i / DEMO_GROUPS.length) + 1).padStart(2, '0')}`,
      group: group.name,
    };
  });
  const groupOf = new Map(deviceIds.map((d) => [d.id, d.group]));
  const controller = new AbortController();
  const caPem = await readFile(panel.facts.rootCaPath, 'utf8');
  const running = simulateFleet({
    deviceIds: deviceIds.map((d) => d.id),
    endpoints: [{ url: new URL(panel.facts.deviceUrl), caPem, serverName: 'localhost' }],
    logger,
    signal: controller.signal,
    enrollConcurrency: 4,
    eventsPerMinute: 2,
    progressMs: 60_000,
    onProgress: (summary) =>
      logger.info(
        { enrolled: summary.enrolled, connected: summary.connected, events: summary.eventsDelivered },
        'demo fleet',
      ),
    // Keys live in memory only: every start enrolls the demo devices afresh with new tokens.
    provision: async (deviceId) => {
      try {
        await devices.create(BY, { id: deviceId, group: groupOf.get(deviceId) });
      } catch (error) {
        if (!(error instanceof PalisadeError && error.code === 'DEVICE_EXISTS')) throw error;
      }
      return (await enrollmentTokens.issue(BY, deviceId, 3600)).token;
    },
  }).catch((error: unknown) => {
    logger.error({ err: error }, 'the demo fleet stopped');
  });
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}
