import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { recordingLogger, tempDir } from './fixtures/temp-outbox.ts';
import { Outbox } from './outbox.ts';
import { OutboxError } from './outbox-error.ts';
import type { NewOutboxRecord } from './outbox-record.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function event(n: number, severity = 5): NewOutboxRecord {
  return { kind: 'event', severity, body: { n } };
}

function open(dir: string, extra: { maxBytes?: number; segmentBytes?: number } = {}): Promise<Outbox> {
  return Outbox.open({
    dir,
    maxBytes: extra.maxBytes ?? 1024 * 1024,
    fsyncIntervalMs: 1,
    logger: recordingLogger(),
    ...extra,
  });
}

const bodies = (records: { body: unknown }[]) => records.map((record) => (record.body as { n: number }).n);

describe('Outbox', () => {
  describe('#append', () => {
    it('resolves with a UUIDv7 and stores the record as given', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path);
      const createdAt = '2025-01-02T03:04:05.678Z';
      const id = await outbox.append({
        kind: 'inventory',
        severity: 3,
        createdAt,
        body: { os: 'linux', n: [1, 2] },
      });
      assert.match(id, UUID_V7);
      assert.deepEqual(await outbox.nextBatch(), [
        { id, kind: 'inventory', severity: 3, createdAt, body: { os: 'linux', n: [1, 2] } },
      ]);
    });

    it('gives IDs that sort in creation order', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path);
      const ids = await outbox.appendMany(Array.from({ length: 200 }, (_, n) => event(n)));
      assert.deepEqual([...ids].sort(), ids);
    });

    it('keeps a caller-chosen ID and stores a repeated ID once', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path);
      await outbox.append({ ...event(1), id: 'boot-42' });
      await outbox.append({ ...event(2), id: 'boot-42' });
      const batch = await outbox.nextBatch();
      assert.deepEqual(
        batch.map((record) => [record.id, (record.body as { n: number }).n]),
        [['boot-42', 1]],
      );
    });

    it('rejects a malformed record naming every bad field, and stores none of the batch', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path);
      const bad = { kind: '', severity: 11, createdAt: 'yesterday', body: 1 };
      await assert.rejects(outbox.appendMany([event(1), bad]), (error: unknown) => {
        assert.ok(error instanceof OutboxError);
        assert.equal(error.code, 'OUTBOX_RECORD_INVALID');
        assert.deepEqual(error.details?.problems, [
          'kind: 1-64 characters of [A-Za-z0-9._-]',
          'severity: an integer 0..10',
          'createdAt: an ISO 8601 date-time',
        ]);
        return true;
      });
      assert.equal(outbox.stats().pendingRecords, 0);
    });

    it('rejects a record larger than the whole bound', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path, { maxBytes: 8192 });
      await assert.rejects(outbox.append({ kind: 'event', severity: 1, body: 'x'.repeat(9000) }), {
        code: 'OUTBOX_RECORD_TOO_LARGE',
      });
    });
  });

  describe('#nextBatch', () => {
    it('hands out the oldest records within the limits, at least one', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path);
      await outbox.appendMany(Array.from({ length: 10 }, (_, n) => event(n)));
      assert.deepEqual(bodies(await outbox.nextBatch({ maxRecords: 3 })), [0, 1, 2]);
      assert.deepEqual(bodies(await outbox.nextBatch({ maxRecords: 10, maxBytes: 1 })), [3]);
      // Frames are 137 bytes: 300 bytes hold two.
      assert.deepEqual(bodies(await outbox.nextBatch({ maxBytes: 300 })), [4, 5]);
    });

    it('does not hand out a record twice until it is released, then in the original order', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path);
      await outbox.appendMany(Array.from({ length: 4 }, (_, n) => event(n)));
      const first = await outbox.nextBatch({ maxRecords: 2 });
      assert.deepEqual(bodies(await outbox.nextBatch()), [2, 3]);
      assert.deepEqual(await outbox.nextBatch(), []);
      outbox.release([first[1]?.id ?? '']);
      assert.deepEqual(bodies(await outbox.nextBatch()), [1]);
      outbox.release();
      assert.deepEqual(bodies(await outbox.nextBatch()), [0, 1, 2, 3]);
    });

    it('hands out unacknowledged records again after a reopen, with the same IDs', async () => {
      await using dir = await tempDir();
      const before = await open(dir.path);
      const ids = await before.appendMany([event(0), event(1)]);
      await before.nextBatch();
      await before.close();
      await using after = await open(dir.path);
      assert.deepEqual(
        (await after.nextBatch()).map((record) => record.id),
        ids,
      );
    });
  });

  describe('#acknowledge', () => {
    it('removes records for good, across a reopen, and ignores unknown IDs', async () => {
      await using dir = await tempDir();
      const before = await open(dir.path);
      const ids = await before.appendMany(Array.from({ length: 5 }, (_, n) => event(n)));
      await before.nextBatch();
      assert.equal(await before.acknowledge([ids[1] ?? '', ids[3] ?? '', 'never-seen']), 2);
      assert.equal(await before.acknowledge([ids[1] ?? '']), 0);
      before.release();
      assert.deepEqual(bodies(await before.nextBatch()), [0, 2, 4]);
      await before.close();
      await using after = await open(dir.path);
      assert.deepEqual(bodies(await after.nextBatch()), [0, 2, 4]);
      assert.equal(after.stats().pendingRecords, 3);
    });

    it('deletes journal segments once all their records are acknowledged', async () => {
      await using dir = await tempDir();
      await using outbox = await open(dir.path, { segmentBytes: 4096 });
      await outbox.appendMany(Array.from({ length: 400 }, (_, n) => event(n)));
      const segmentsBefore = (await readdir(`${dir.path}/journal`)).length;
      assert.ok(segmentsBefore > 3, `${segmentsBefore} segments`);
      for (;;) {
        const batch = await outbox.nextBatch({ maxRecords: 50 });
        if (batch.length === 0) break;
        await outbox.acknowledge(batch.map((record) => record.id));
      }
      await outbox.close();
      // Only the segment appends were going to is left; a reopen removes it too.
      assert.deepEqual((await readdir(`${dir.path}/journal`)).length, 1);
      await using reopened = await open(dir.path);
      assert.deepEqual(await readdir(`${dir.path}/journal`), []);
      assert.equal(reopened.stats().diskBytes, 0);
    });
  });

  describe('.open', () => {
    it('refuses a second open of the same directory', async () => {
      await using dir = await tempDir();
      await using _first = await open(dir.path);
      await assert.rejects(open(dir.path), { code: 'OUTBOX_LOCKED' });
    });

    it('takes over the lock of a process that is gone', async () => {
      await using dir = await tempDir();
      await writeFile(`${dir.path}/outbox.lock`, '2147483646\n');
      await using outbox = await open(dir.path);
      assert.equal(outbox.stats().pendingRecords, 0);
    });

    it('takes over a lock whose PID now belongs to another process (PID reuse after a reboot)', async () => {
      await using dir = await tempDir();
      await writeFile(`${dir.path}/outbox.lock`, `${process.ppid} 00000000-dead-beef-0000-000000000000 1\n`);
      await using outbox = await open(dir.path);
      assert.equal(outbox.stats().pendingRecords, 0);
    });

    it('refuses a directory it cannot use with OUTBOX_UNREADABLE', async () => {
      await using dir = await tempDir();
      await writeFile(`${dir.path}/not-a-dir`, '');
      await assert.rejects(open(`${dir.path}/not-a-dir`), (error: unknown) => {
        assert.ok(error instanceof OutboxError);
        assert.equal(error.code, 'OUTBOX_UNREADABLE');
        assert.match(error.message, /not-a-dir cannot be used \(ENOTDIR\)/);
        return true;
      });
    });

    it('rejects out-of-range options naming each', async () => {
      await assert.rejects(Outbox.open({ dir: '/tmp/x', maxBytes: 10, segmentBytes: 1.5 }), {
        code: 'OUTBOX_OPTIONS_INVALID',
        message:
          'outbox options rejected: maxBytes: an integer 4096..9007199254740991; segmentBytes: an integer 4096..1073741824',
      });
    });
  });

  describe('#close', () => {
    it('writes appends still waiting for their group commit, then refuses further use', async () => {
      await using dir = await tempDir();
      const outbox = await Outbox.open({
        dir: dir.path,
        maxBytes: 1024 * 1024,
        fsyncIntervalMs: 5000,
        logger: recordingLogger(),
      });
      await outbox.append(event(6)); // the first fsync goes at once; the next waits out the interval
      let written = false;
      const appended = outbox.append(event(7)).then(() => {
        written = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(written, false);
      await outbox.close();
      await appended;
      await assert.rejects(outbox.append(event(8)), { code: 'OUTBOX_CLOSED' });
      await using reopened = await open(dir.path);
      assert.deepEqual(bodies(await reopened.nextBatch()), [6, 7]);
    });
  });
});
