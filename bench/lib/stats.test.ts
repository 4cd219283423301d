import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BenchResult, BenchResultError, parseBenchResult } from './bench-result.ts';
import { median, percentile, roundFigure, summarize } from './stats.ts';
import { formatSummary, formatTable } from './summary-table.ts';

describe('percentile', () => {
  it('interpolates between ranks (type 7)', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([10, 20, 30, 40, 50], 90), 46);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 9.91);
  });

  it('returns the extremes at 0 and 100 whatever the input order', () => {
    assert.equal(percentile([5, 1, 9, 3], 0), 1);
    assert.equal(percentile([5, 1, 9, 3], 100), 9);
  });

  it('returns the only sample for any p', () => {
    assert.equal(percentile([7], 0), 7);
    assert.equal(percentile([7], 99), 7);
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    assert.deepEqual(samples, [3, 1, 2]);
  });

  it('rejects no samples, p outside 0..100 and non-finite samples', () => {
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
    assert.throws(() => percentile([1, Number.NaN], 50), RangeError);
  });
});

describe('summarize', () => {
  it('reports n, min, median, mean and max', () => {
    assert.deepEqual(summarize([4, 1, 3, 2]), { n: 4, min: 1, median: 2.5, mean: 2.5, max: 4 });
    assert.equal(median([900, 1000, 5000]), 1000);
  });
});

describe('roundFigure', () => {
  it('keeps whole numbers from 100 up and three significant digits below', () => {
    assert.equal(roundFigure(1234.567), 1235);
    assert.equal(roundFigure(12.345), 12.3);
    assert.equal(roundFigure(0.051234), 0.0512);
    assert.equal(roundFigure(0), 0);
  });
});

describe('formatTable', () => {
  it('pads columns to the widest cell and rules the header', () => {
    const table = formatTable(['a', 'long header'], [['wide cell', 'x']]);
    assert.equal(table, ['a         | long header', '----------|------------', 'wide cell | x'].join('\n'));
  });

  it('keeps cells on one line and fills missing cells', () => {
    const table = formatTable(['a', 'b'], [['two\nlines']]);
    assert.equal(table.split('\n')[2], 'two lines |');
  });
});

const result: BenchResult = {
  name: 'cold-start',
  machine: { cpus: 2, cpuModel: 'x', memoryGiB: 4, node: 'v24.0.0', openssl: '3.5.0', os: 'Linux' },
  figures: { warmRestartMedianMs: 812.345, samplesMs: [800, 812] },
  reference: { what: 'node -e', figures: { medianMs: 41.26 } },
  ratio: 19.6888,
  target: { description: 'warm restart < 1500 ms', value: 1500 },
  pass: true,
  method: 'm',
};

describe('formatSummary', () => {
  it('shows the headline figures, ratio, target and pass, then crashes', () => {
    const lines = formatSummary(
      [result, { ...result, name: 'other', pass: false }],
      [{ name: 'broken', error: 'exited with 1' }],
    ).split('\n');
    assert.equal(
      lines[0],
      'name       | key figure              | reference     | ratio | target                 | pass',
    );
    assert.equal(
      lines[2],
      'cold-start | warmRestartMedianMs 812 | medianMs 41.3 | 19.7  | warm restart < 1500 ms | yes',
    );
    assert.match(lines[3] ?? '', /^other .*\| NO$/);
    assert.match(lines[4] ?? '', /^broken .*\| CRASHED: exited with 1$/);
  });
});

describe('parseBenchResult', () => {
  it('accepts a complete result', () => {
    assert.deepEqual(parseBenchResult(JSON.stringify(result)), result);
  });

  it('names every missing or malformed field', () => {
    const broken = { ...result, name: '', figures: { samples: [1] }, pass: 'yes' };
    assert.throws(
      () => parseBenchResult(JSON.stringify(broken)),
      (error: unknown) =>
        error instanceof BenchResultError &&
        /name must be/.test(error.message) &&
        /first \(headline\) figure must be a number/.test(error.message) &&
        /pass must be a boolean/.test(error.message),
    );
  });

  it('rejects output that is not one JSON document', () => {
    assert.throws(() => parseBenchResult('{}\n{}'), BenchResultError);
  });
});
