import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SigmaExpression } from './sigma-condition.ts';
import { parseSigmaCondition, SigmaConditionProblem } from './sigma-condition.ts';

const ref = (name: string): SigmaExpression => ({ kind: 'ref', name });

function problem(text: string): SigmaConditionProblem {
  try {
    parseSigmaCondition(text);
  } catch (error) {
    assert.ok(error instanceof SigmaConditionProblem, String(error));
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseSigmaCondition', () => {
  it('binds not tighter than and, and and tighter than or', () => {
    assert.deepEqual(parseSigmaCondition('a or b and not c'), {
      kind: 'or',
      items: [ref('a'), { kind: 'and', items: [ref('b'), { kind: 'not', item: ref('c') }] }],
    });
    assert.deepEqual(parseSigmaCondition('(a or b) and c'), {
      kind: 'and',
      items: [{ kind: 'or', items: [ref('a'), ref('b')] }, ref('c')],
    });
    assert.deepEqual(parseSigmaCondition('not not a'), {
      kind: 'not',
      item: { kind: 'not', item: ref('a') },
    });
  });

  it('reads 1 of / all of with patterns and them, keywords in any case', () => {
    assert.deepEqual(parseSigmaCondition('1 of selection_* AND NOT all of filter*'), {
      kind: 'and',
      items: [
        { kind: 'of', quantifier: 'any', pattern: 'selection_*' },
        { kind: 'not', item: { kind: 'of', quantifier: 'all', pattern: 'filter*' } },
      ],
    });
    assert.deepEqual(parseSigmaCondition('all of them'), { kind: 'of', quantifier: 'all', pattern: 'them' });
  });

  it('refuses malformed conditions as invalid', () => {
    for (const text of [
      '',
      '   ',
      'a and',
      'a b',
      '(a or b',
      'a)',
      'and a',
      'not',
      '1 of',
      '1 of (a)',
      'some of a',
    ]) {
      assert.equal(problem(text).kind, 'invalid', text);
    }
  });

  it('names aggregations, near and "2 of" as unsupported', () => {
    assert.match(problem('selection | count() by deviceId > 5').message, /aggregation/);
    assert.match(problem('a near b').message, /near/);
    assert.match(problem('2 of selection*').message, /"2 of"/);
    for (const text of ['a | count() > 3', 'a NEAR b', '3 of them'])
      assert.equal(problem(text).kind, 'unsupported');
  });

  it('bounds length and nesting', () => {
    assert.equal(problem(`${'('.repeat(40)}a${')'.repeat(40)}`).kind, 'complex');
    assert.equal(problem(`${'not '.repeat(40)}a`).kind, 'complex');
    assert.equal(problem(`a${' or a'.repeat(1000)}`).kind, 'complex');
    assert.doesNotThrow(() => parseSigmaCondition(`${'('.repeat(30)}a${')'.repeat(30)}`));
  });

  it('either parses or throws a SigmaConditionProblem for any text', () => {
    const token = fc.constantFrom(
      'a',
      'b_1',
      'sel*',
      '(',
      ')',
      'and',
      'or',
      'not',
      '1',
      'all',
      'of',
      'them',
      '|',
      ' ',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token, { maxLength: 20 }).map((t) => t.join(' ')),
        ),
        (text) => {
          try {
            parseSigmaCondition(text);
          } catch (error) {
            assert.ok(error instanceof SigmaConditionProblem, String(error));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
