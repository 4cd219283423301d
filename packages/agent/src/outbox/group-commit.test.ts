import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from './group-commit.ts';

function recorder(delayMs: number, maxBatchBytes = 1 << 20) {
  const flushes: number[][] = [];
  const commit = new GroupCommit<number>({
    flush: async (items) => {
      flushes.push(items);
      await new Promise((resolve) => setTimeout(resolve, 5)); // an fsync takes a while
    },
    delayMs,
    maxBatchBytes,
  });
  return { commit, flushes };
}

describe('GroupCommit', () => {
  describe('#submit', () => {
    it('flushes a lone item at once, then batches everything of the next interval into one flush', async () => {
      const { commit, flushes } = recorder(100);
      const started = performance.now();
      await commit.submit(0, 1);
      assert.ok(performance.now() - started < 50, 'a lone item waited for the interval');
      await Promise.all(Array.from({ length: 100 }, (_, i) => commit.submit(i + 1, 1)));
      assert.deepEqual(
        flushes.map((items) => items.length),
        [1, 100],
      );
    });

    it('does not wait out the interval once a batch reaches maxBatchBytes', async () => {
      const { commit, flushes } = recorder(10_000, 10);
      await commit.submit(0, 1);
      const started = performance.now();
      await Promise.all(Array.from({ length: 10 }, (_, i) => commit.submit(i + 1, 1)));
      assert.ok(performance.now() - started < 1000);
      assert.deepEqual(
        flushes.map((items) => items.length),
        [1, 10],
      );
    });

    it('rejects every item of a failed flush, and only those', async () => {
      let fail = true;
      const commit = new GroupCommit<number>({
        flush: async () => {
          if (fail) throw new Error('EIO');
        },
        delayMs: 0,
        maxBatchBytes: 1,
      });
      await assert.rejects(commit.submit(1, 1), /EIO/);
      fail = false;
      await commit.submit(2, 1);
    });
  });
});
