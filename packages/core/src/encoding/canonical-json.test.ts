import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.ts';

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units and drops undefined members (RFC 8785 §3.2.3)', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [true, null, 'x'], é: 2, Z: undefined, '\u20ac': 3, '\r': 4 }),
      '{"\\r":4,"a":[true,null,"x"],"b":1,"é":2,"€":3}',
    );
  });

  it('formats numbers the ECMAScript way (RFC 8785 §3.2.2.3)', () => {
    assert.equal(
      canonicalJson([1e21, 1e-7, -0, 0.1, 333333333.3333333]),
      '[1e+21,1e-7,0,0.1,333333333.3333333]',
    );
  });

  it('refuses values JSON cannot carry', () => {
    assert.throws(() => canonicalJson(Number.NaN), /non-finite/);
    assert.throws(() => canonicalJson({ f: () => 1 }), /cannot encode a function/);
  });

  it('is stable under key order and round-trips through JSON.parse (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
        const reordered = JSON.parse(JSON.stringify(value), (_k, v) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        );
        assert.equal(canonicalJson(reordered), text);
      }),
    );
  });
});
