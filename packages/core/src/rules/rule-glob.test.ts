import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileGlob, globMatches } from './rule-glob.ts';

const matches = (pattern: string, text: string): boolean => globMatches(compileGlob(pattern), text);

/** The reference semantics, as a RegExp built from the same escaping rules (test oracle only). */
function oracle(pattern: string, text: string): boolean {
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i] ?? '';
    const next = chars[i + 1];
    if (char === '\\' && (next === '*' || next === '?' || next === '\\')) {
      source += `\\${next}`;
      i += 1;
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su').test(text);
}

describe('glob', () => {
  it('matches * as any run and ? as one character, anchored at both ends', () => {
    assert.equal(matches('/etc/*', '/etc/passwd'), true);
    assert.equal(matches('/etc/*', '/usr/etc/passwd'), false);
    assert.equal(matches('*.sh', 'run.sh'), true);
    assert.equal(matches('*.sh', 'run.shx'), false);
    assert.equal(matches('prog?.exe', 'progA.exe'), true);
    assert.equal(matches('prog?.exe', 'prog.exe'), false);
    assert.equal(matches('a*b*c', 'abc'), true);
    assert.equal(matches('a*b*c', 'acb'), false);
    assert.equal(matches('a*a', 'a'), false, 'prefix and suffix may not share a character');
    assert.equal(matches('*a*a*', 'aa'), true, 'middle segments take their leftmost place');
    assert.equal(matches('*ab*b*', 'abb'), true);
    assert.equal(matches('*', ''), true);
    assert.equal(matches('exact', 'exact'), true);
    assert.equal(matches('exact', 'exactly'), false);
  });

  it("treats \\ as an escape before *, ? and \\ only (Sigma's rule)", () => {
    assert.equal(
      matches(String.raw`C:\Windows\System32\*.exe`, String.raw`C:\Windows\System32\cmd.exe`),
      false,
    );
    assert.equal(
      matches(String.raw`C:\Windows\System32\\*.exe`, String.raw`C:\Windows\System32\cmd.exe`),
      true,
    );
    assert.equal(matches(String.raw`C:\Temp\*`, String.raw`C:\Temp*`), true);
    assert.equal(matches(String.raw`what\?`, 'what?'), true);
    assert.equal(matches(String.raw`what\?`, 'whatx'), false);
    assert.equal(matches(String.raw`a\*b`, 'a*b'), true);
    assert.equal(matches(String.raw`a\*b`, 'axxb'), false);
    assert.equal(matches(String.raw`a\\*`, String.raw`a\anything`), true);
  });

  it('counts ? as one code point, so an emoji is one character', () => {
    assert.equal(matches('?', '😀'), true);
    assert.equal(matches('a?c', 'a😀c'), true);
    assert.equal(matches('a??c', 'a😀c'), false);
  });

  it('stays polynomial on patterns that make backtracking matchers explode', () => {
    // (a*)^n b against a^2048: exponential for naive recursion; here each segment is placed once.
    assert.equal(matches(`${'a*'.repeat(100)}b`, 'a'.repeat(2048)), false);
    assert.equal(matches(`*${'?'.repeat(200)}b*`, 'a'.repeat(2048)), false);
  });

  it('agrees with a RegExp oracle on random patterns and texts', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?', '\\', '😀');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 10 }), fc.array(alphabet, { maxLength: 12 }), (p, t) => {
        const pattern = p.join('');
        const text = t.join('');
        assert.equal(matches(pattern, text), oracle(pattern, text), `${pattern} vs ${text}`);
      }),
      { numRuns: 2000 },
    );
  });
});
