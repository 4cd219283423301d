import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePhases } from './policy-templates.ts';

describe('parsePhases', () => {
  it('reads cumulative percentages, separated by commas or spaces', () => {
    assert.deepEqual(parsePhases('10, 50, 100'), [10, 50, 100]);
    assert.deepEqual(parsePhases('25 100'), [25, 100]);
    assert.equal(parsePhases('   '), undefined, 'no phases: every device at once');
  });

  it('refuses what the panel would refuse: not increasing, not ending at 100, not whole percent', () => {
    for (const text of [
      '50, 10, 100',
      '10, 50',
      '0, 100',
      '10.5, 100',
      '10, 10, 100',
      '100, 150',
      'ten, 100',
    ])
      assert.equal(parsePhases(text), 'invalid', text);
  });
});
