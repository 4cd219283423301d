import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordingLogger, tempDir } from './fixtures/temp-outbox.ts';
import { Outbox } from './outbox.ts';
import type { OutboxDrop } from './outbox-options.ts';

/** Each record's frame is exactly this big, so the bound holds a known number of them. */
const FRAME_BYTES = 1000;

async function frameOverhead(dir: string): Promise<number> {
  const probe = await Outbox.open({ dir, maxBytes: 1024 * 1024, logger: recordingLogger() });
  await probe.append({ kind: 'event', severity: 0, body: { n: 10, pad: '' } });
  const bytes = probe.stats().pendingBytes;
  await probe.close();
  return bytes;
}

describe('Outbox', () => {
  describe('disk bound', () => {
    it('drops the lowest severity first, oldest first within it, and reports the drop', async () => {
      await using dir = await tempDir();
      await using probeDir = await tempDir();
      const pad = 'p'.repeat(FRAME_BYTES - (await frameOverhead(probeDir.path)));
      const drops: OutboxDrop[] = [];
      const outbox = await Outbox.open({
        dir: dir.path,
        maxBytes: 10 * FRAME_BYTES,
        fsyncIntervalMs: 1,
        logger: recordingLogger(),
        onDropped: (drop) => drops.push(drop),
      });
      // n = 10..19 (two digits keep frames the same size), severities 5,2,8,2,5,2,8,2,5,2: exactly at the bound.
      const severities = [5, 2, 8, 2, 5, 2, 8, 2, 5, 2];
      await outbox.appendMany(
        severities.map((severity, i) => ({ kind: 'event', severity, body: { n: 10 + i, pad } })),
      );
      assert.equal(outbox.stats().pendingBytes, 10 * FRAME_BYTES);
      assert.deepEqual(drops, []);

      // Three more (severity 9) must push out the three oldest severity-2 records: n = 11, 13, 15.
      await outbox.appendMany([20, 21, 22].map((n) => ({ kind: 'event', severity: 9, body: { n, pad } })));
      assert.deepEqual(drops, [{ count: 3, bytes: 3 * FRAME_BYTES, bySeverity: { 2: 3 } }]);
      const remaining = (await outbox.nextBatch({ maxRecords: 100, maxBytes: 1e9 })).map(
        (record) => (record.body as { n: number }).n,
      );
      assert.deepEqual(remaining, [10, 12, 14, 16, 17, 18, 19, 20, 21, 22]);
      assert.equal(outbox.stats().droppedRecords, 3);
      assert.equal(outbox.stats().droppedBytes, 3 * FRAME_BYTES);
      await outbox.close();

      // The drop is durable like an ack.
      await using reopened = await Outbox.open({
        dir: dir.path,
        maxBytes: 10 * FRAME_BYTES,
        logger: recordingLogger(),
      });
      const afterReopen = (await reopened.nextBatch({ maxRecords: 100, maxBytes: 1e9 })).map(
        (record) => (record.body as { n: number }).n,
      );
      assert.deepEqual(afterReopen, remaining);
    });

    it('lets onDropped append an outbox.dropped event, which outranks what it reports', async () => {
      await using dir = await tempDir();
      const outbox = await Outbox.open({
        dir: dir.path,
        maxBytes: 8192,
        fsyncIntervalMs: 1,
        logger: recordingLogger(),
        onDropped: (drop, box) => {
          void box.append({
            kind: 'event',
            severity: 10,
            body: { type: 'outbox.dropped', count: drop.count },
          });
        },
      });
      await outbox.appendMany(
        Array.from({ length: 200 }, (_, n) => ({
          kind: 'event',
          severity: 1,
          body: { n, pad: 'x'.repeat(50) },
        })),
      );
      await outbox.close();
      await using reopened = await Outbox.open({ dir: dir.path, maxBytes: 8192, logger: recordingLogger() });
      const records = await reopened.nextBatch({ maxRecords: 1000, maxBytes: 1e9 });
      const reports = records.filter(
        (record) => (record.body as { type?: string }).type === 'outbox.dropped',
      );
      assert.ok(reports.length >= 1);
      assert.ok(reopened.stats().pendingBytes <= 8192);
      const survivors = records.length - reports.length;
      const reported = reports.reduce((sum, record) => sum + (record.body as { count: number }).count, 0);
      assert.equal(survivors + reported, 200);
    });

    it('applies a smaller bound at open and reports it', async () => {
      await using dir = await tempDir();
      const big = await Outbox.open({
        dir: dir.path,
        maxBytes: 1024 * 1024,
        fsyncIntervalMs: 1,
        logger: recordingLogger(),
      });
      await big.appendMany(
        Array.from({ length: 100 }, (_, n) => ({ kind: 'state', severity: n % 3, body: { n } })),
      );
      await big.close();
      const drops: OutboxDrop[] = [];
      await using small = await Outbox.open({
        dir: dir.path,
        maxBytes: 4096,
        logger: recordingLogger(),
        onDropped: (drop) => drops.push(drop),
      });
      assert.ok(small.stats().pendingBytes <= 4096);
      assert.equal(drops.length, 1);
      assert.equal(drops[0]?.count, 100 - small.stats().pendingRecords);
      const severities = (await small.nextBatch({ maxRecords: 1000, maxBytes: 1e9 })).map(
        (record) => record.severity,
      );
      assert.ok(
        severities.every((severity) => severity === 2),
        `kept ${severities}`,
      );
    });
  });
});
