import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { known } from './fact.ts';
import { InventoryWatcher, type Scheduler } from './inventory-watcher.ts';
import type { Inventory } from './types.ts';

function inventory(hostname: string, collectedAt: string): Inventory {
  const none = { known: false, reason: 'test' } as const;
  return {
    agentVersion: '1',
    collectedAt,
    hostname: known(hostname),
    osRelease: none,
    kernel: { release: none, version: none },
    architecture: none,
    cpu: { model: none, cores: none },
    memoryBytes: none,
    diskEncryption: none,
    secureBoot: none,
    tpm: none,
    networkInterfaces: none,
    listeningSockets: { tcp: none, tcp6: none, udp: none, udp6: none },
  };
}

/** A scheduler the test fires by hand. */
function manualScheduler() {
  const pending: { callback: () => void; delayMs: number }[] = [];
  const schedule: Scheduler = (callback, delayMs) => {
    const entry = { callback, delayMs };
    pending.push(entry);
    return () => pending.splice(pending.indexOf(entry), 1);
  };
  return { schedule, pending };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('InventoryWatcher', () => {
  it('reports at start, then only when the digest changes, on the given interval', async () => {
    const hostnames = ['a', 'a', 'b'];
    let tick = 0;
    const reported: string[] = [];
    const { schedule, pending } = manualScheduler();
    const watcher = new InventoryWatcher({
      collect: async () => inventory(hostnames[Math.min(tick, 2)] ?? 'b', `2025-01-01T00:00:0${tick++}Z`),
      onChange: (inv) => {
        reported.push(inv.hostname.known ? inv.hostname.value : '?');
      },
      intervalMs: 60_000,
      schedule,
    });
    await watcher.start();
    assert.deepEqual(reported, ['a']);
    assert.equal(pending.length, 1);
    assert.equal(pending[0]?.delayMs, 60_000);

    pending.shift()?.callback(); // same hostname, later collectedAt: no report
    await flush();
    assert.deepEqual(reported, ['a']);
    pending.shift()?.callback();
    await flush();
    assert.deepEqual(reported, ['a', 'b']);
    await watcher.stop();
    assert.equal(pending.length, 0);
  });

  it('retries a report whose onChange failed at the next check', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const reported: string[] = [];
    const watcher = new InventoryWatcher({
      collect: async () => inventory('a', 'now'),
      onChange: async (_inv, digest) => {
        if (fail) throw new Error('panel unreachable');
        reported.push(digest);
      },
      onError: (e) => errors.push(e),
      schedule: manualScheduler().schedule,
    });
    assert.equal(await watcher.check(), false);
    assert.equal(errors.length, 1);
    assert.equal(watcher.lastDigest, undefined);
    fail = false;
    assert.equal(await watcher.check(), true);
    assert.equal(watcher.lastDigest, reported[0]);
    assert.equal(await watcher.check(), false);
  });

  it('never runs two collections at once, and stops scheduling once stopped', async () => {
    let running = 0;
    let maxRunning = 0;
    const { schedule, pending } = manualScheduler();
    await using watcher = new InventoryWatcher({
      collect: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await flush();
        running -= 1;
        return inventory('a', 'now');
      },
      onChange: () => {},
      schedule,
    });
    await Promise.all([watcher.check(), watcher.check(), watcher.check()]);
    assert.equal(maxRunning, 1);
    await watcher.start();
    await watcher.stop();
    assert.equal(pending.length, 0);
  });
});
