import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReevaluationQueue } from './reevaluation-queue.ts';

function unexpected(error: unknown): never {
  throw error;
}

describe('ReevaluationQueue', () => {
  it('collects changes that arrive together into one evaluation, each device once', async () => {
    const runs: string[][] = [];
    const queue = new ReevaluationQueue(async (ids) => void runs.push([...ids]), {
      delayMs: 20,
      batch: 100,
      onError: unexpected,
    });
    queue.add(['a', 'b']);
    queue.add(['b', 'c']);
    await queue.idle();
    assert.deepEqual(runs, [['a', 'b', 'c']]);
  });

  it('evaluates at most `batch` devices at a time, one batch after the other', async () => {
    const runs: string[][] = [];
    let inFlight = 0;
    const queue = new ReevaluationQueue(
      async (ids) => {
        inFlight += 1;
        assert.equal(inFlight, 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        runs.push([...ids]);
        inFlight -= 1;
      },
      { delayMs: 1, batch: 2, onError: unexpected },
    );
    queue.add(['a', 'b', 'c', 'd', 'e']);
    await queue.idle();
    assert.deepEqual(runs, [['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('reports a failed evaluation and goes on with the next changes', async () => {
    const errors: unknown[] = [];
    const runs: string[][] = [];
    const queue = new ReevaluationQueue(
      async (ids) => {
        if (ids.includes('bad')) throw new Error('database down');
        runs.push([...ids]);
      },
      { delayMs: 1, batch: 10, onError: (error) => errors.push(error) },
    );
    queue.add(['bad']);
    await queue.idle();
    queue.add(['good']);
    await queue.idle();
    assert.equal(errors.length, 1);
    assert.deepEqual(runs, [['good']]);
  });

  it('takes nothing once stopped', async () => {
    const runs: string[][] = [];
    const queue = new ReevaluationQueue(async (ids) => void runs.push([...ids]), {
      delayMs: 10,
      batch: 10,
      onError: unexpected,
    });
    queue.add(['a']);
    await queue.stop();
    queue.add(['b']);
    await queue.idle();
    assert.deepEqual(runs, []);
  });
});
