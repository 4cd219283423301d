import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCounters, type QuoteCounters } from './quote-counters.ts';

const previous: QuoteCounters = { clock: 50_000n, resetCount: 4, restartCount: 1 };

describe('checkCounters', () => {
  it('accepts a later quote in the same boot: clock up, counters equal', () => {
    assert.deepEqual(checkCounters(previous, { ...previous, clock: 50_001n }), {
      rebooted: false,
      resumed: false,
    });
  });

  it('reports a reboot when resetCount goes up, whatever restartCount and clock do', () => {
    assert.deepEqual(checkCounters(previous, { clock: 10n, resetCount: 5, restartCount: 0 }), {
      rebooted: true,
      resumed: false,
    });
  });

  it('reports a resume when restartCount goes up under the same resetCount', () => {
    assert.deepEqual(checkCounters(previous, { clock: 60_000n, resetCount: 4, restartCount: 2 }), {
      rebooted: false,
      resumed: true,
    });
  });

  it('refuses a lower resetCount: replay or another TPM', () => {
    assert.throws(() => checkCounters(previous, { clock: 90_000n, resetCount: 3, restartCount: 9 }), {
      name: 'QuoteError',
      code: 'QUOTE_COUNTER_REGRESSION',
      message: /resetCount went from 4 to 3/,
      details: {
        previous: { clock: '50000', resetCount: 4, restartCount: 1 },
        current: { clock: '90000', resetCount: 3, restartCount: 9 },
      },
    });
  });

  it('refuses a lower restartCount in the same boot', () => {
    assert.throws(() => checkCounters(previous, { clock: 60_000n, resetCount: 4, restartCount: 0 }), {
      code: 'QUOTE_COUNTER_REGRESSION',
      message: /restartCount went from 1 to 0/,
    });
  });

  it('refuses a clock that did not advance in the same boot (the same quote twice)', () => {
    assert.throws(() => checkCounters(previous, previous), {
      code: 'QUOTE_COUNTER_REGRESSION',
      message: /clock/,
    });
    assert.throws(() => checkCounters(previous, { ...previous, clock: 49_999n }), {
      code: 'QUOTE_COUNTER_REGRESSION',
    });
  });
});
