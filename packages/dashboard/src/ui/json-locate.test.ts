import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { locatePointer } from './json-locate.ts';

const DOC = JSON.stringify(
  { tls: { minVersion: 'TLSv1.0', groups: ['X25519', 'P-256'] }, 'a/b': { '~x': 1 }, rules: [] },
  null,
  2,
);

describe('locatePointer', () => {
  it('finds a nested member on its own line', () => {
    const span = locatePointer(DOC, '/tls/minVersion');
    assert.equal(span?.line, 3);
    assert.equal(DOC.slice(span?.start, span?.end), '"TLSv1.0"');
  });

  it('finds array elements by index', () => {
    const span = locatePointer(DOC, '/tls/groups/1');
    assert.equal(DOC.slice(span?.start, span?.end), '"P-256"');
  });

  it('unescapes ~1 and ~0 in member names (RFC 6901 §4)', () => {
    const span = locatePointer(DOC, '/a~1b/~0x');
    assert.equal(DOC.slice(span?.start, span?.end), '1');
  });

  it('lands a missing member ("is required") on the nearest object that exists', () => {
    const span = locatePointer(DOC, '/tls/cipherSuites');
    assert.equal(span?.line, 2);
    assert.equal(DOC.slice(span?.start ?? 0, (span?.start ?? 0) + 1), '{');
  });

  it('answers the whole document for the empty pointer and undefined for text that is not JSON', () => {
    assert.equal(locatePointer(DOC, '')?.start, 0);
    assert.equal(locatePointer('{"a": 1,}', '/a'), undefined);
    assert.equal(locatePointer('{"a": 1} x', '/a'), undefined);
  });

  it('gives up on nesting deeper than it will follow, without overflowing the stack', () => {
    assert.equal(locatePointer(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, '/0'), undefined);
  });

  it('locates every pointer of any JSON value at the text of that value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 0, max: 4 }), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const walk = (node: unknown, pointer: string): void => {
          const span = locatePointer(text, pointer);
          assert.ok(span, pointer);
          assert.deepEqual(JSON.parse(text.slice(span.start, span.end)), JSON.parse(JSON.stringify(node)));
          if (Array.isArray(node)) for (const [i, item] of node.entries()) walk(item, `${pointer}/${i}`);
          else if (node !== null && typeof node === 'object')
            for (const [key, item] of Object.entries(node))
              walk(item, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
        };
        walk(value, '');
      }),
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, pointer) => {
        locatePointer(text, `/${pointer}`);
      }),
    );
  });
});
