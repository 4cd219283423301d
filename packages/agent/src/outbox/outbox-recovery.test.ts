import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { recordingLogger, tempDir } from './fixtures/temp-outbox.ts';
import { encodeFrame } from './frame-codec.ts';
import { segmentPath } from './journal-segment.ts';
import { Outbox } from './outbox.ts';

const reopen = (dir: string, logger = recordingLogger()) =>
  Outbox.open({ dir, maxBytes: 1024 * 1024, fsyncIntervalMs: 1, logger });

async function seed(dir: string, count: number): Promise<string[]> {
  const outbox = await reopen(dir);
  const ids = await outbox.appendMany(
    Array.from({ length: count }, (_, n) => ({ kind: 'event', severity: 5, body: { n } })),
  );
  await outbox.close();
  return ids;
}

async function pendingIds(outbox: Outbox): Promise<string[]> {
  const batch = await outbox.nextBatch({ maxRecords: 10_000 });
  outbox.release();
  return batch.map((record) => record.id);
}

describe('Outbox', () => {
  describe('.open recovery', () => {
    it('cuts off a torn last frame, logs it, and keeps every record before it', async () => {
      await using dir = await tempDir();
      const ids = await seed(dir.path, 3);
      const segment = segmentPath(`${dir.path}/journal`, 1);
      const goodSize = (await stat(segment)).size;
      const torn = encodeFrame(Buffer.from('{"id":"torn"}')).subarray(0, 12);
      await appendFile(segment, torn);

      const logger = recordingLogger();
      await using outbox = await reopen(dir.path, logger);
      assert.deepEqual(await pendingIds(outbox), ids);
      assert.equal((await stat(segment)).size, goodSize);
      assert.ok(logger.lines.some((line) => line.level === 'warn' && /incomplete record/.test(line.message)));
      const [kept] = await readdir(`${dir.path}/quarantine`);
      assert.deepEqual(await readFile(`${dir.path}/quarantine/${kept}`), torn);
      // New appends go to a fresh segment and survive another reopen.
      const more = await outbox.append({ kind: 'event', severity: 1, body: null });
      await outbox.close();
      await using again = await reopen(dir.path);
      assert.deepEqual(await pendingIds(again), [...ids, more]);
    });

    it('skips a damaged record in the middle of a segment, keeps the rest, and quarantines the segment when done', async () => {
      await using dir = await tempDir();
      const ids = await seed(dir.path, 5);
      const segment = segmentPath(`${dir.path}/journal`, 1);
      const bytes = await readFile(segment);
      const third = bytes.indexOf(Buffer.from(ids[2] ?? ''));
      bytes[third] = 'Z'.charCodeAt(0);
      await writeFile(segment, bytes);

      const logger = recordingLogger();
      const outbox = await reopen(dir.path, logger);
      const pending = await pendingIds(outbox);
      assert.deepEqual(pending, [ids[0], ids[1], ids[3], ids[4]]);
      assert.ok(logger.lines.some((line) => line.level === 'error' && /damaged range/.test(line.message)));
      await outbox.acknowledge(pending);
      await outbox.close();
      await using _closed = await reopen(dir.path);
      assert.deepEqual(await readdir(`${dir.path}/journal`), []);
      assert.equal((await readdir(`${dir.path}/quarantine`)).length, 1);
    });

    it('skips a frame whose CRC matches but which is not a record', async () => {
      await using dir = await tempDir();
      const ids = await seed(dir.path, 2);
      await appendFile(segmentPath(`${dir.path}/journal`, 1), encodeFrame(Buffer.from('[1,2,3]')));
      const logger = recordingLogger();
      await using outbox = await reopen(dir.path, logger);
      assert.deepEqual(await pendingIds(outbox), ids);
      assert.ok(logger.lines.some((line) => /not an outbox record/.test(line.message)));
    });

    it('keeps the other segments when one is entirely garbage', async () => {
      await using dir = await tempDir();
      const ids = await seed(dir.path, 2);
      await writeFile(segmentPath(`${dir.path}/journal`, 2), Buffer.alloc(5000, 0x5a));
      const later = await seed(dir.path, 1);
      await using outbox = await reopen(dir.path);
      assert.deepEqual(await pendingIds(outbox), [...ids, ...later]);
    });

    it('treats a garbage ack log as no acks: records come again, the old file is quarantined', async () => {
      await using dir = await tempDir();
      const ids = await seed(dir.path, 4);
      const first = await reopen(dir.path);
      await first.nextBatch();
      await first.acknowledge(ids.slice(0, 2));
      await first.close();
      const garbage = Buffer.from('this is not an ack log at all, just bytes');
      await writeFile(
        `${dir.path}/acks.log`,
        Buffer.concat([garbage, encodeFrame(Buffer.from('{"op":"ack"}'))]),
      );

      const logger = recordingLogger();
      await using outbox = await reopen(dir.path, logger);
      assert.deepEqual(await pendingIds(outbox), ids);
      assert.ok(logger.lines.some((line) => line.level === 'error' && /ack log/.test(line.message)));
      const quarantined = await readdir(`${dir.path}/quarantine`);
      assert.equal(quarantined.length, 1);
      assert.match(quarantined[0] ?? '', /acks\.log$/);
    });

    it('keeps acks before a torn ack log entry', async () => {
      await using dir = await tempDir();
      const ids = await seed(dir.path, 3);
      const first = await reopen(dir.path);
      await first.nextBatch();
      await first.acknowledge([ids[0] ?? '']);
      await first.close();
      await appendFile(
        `${dir.path}/acks.log`,
        encodeFrame(Buffer.from(`{"op":"ack","ids":["${ids[1]}"]}`)).subarray(0, 20),
      );
      await using outbox = await reopen(dir.path);
      assert.deepEqual(await pendingIds(outbox), ids.slice(1));
    });
  });
});
