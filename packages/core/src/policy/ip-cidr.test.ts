import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Cidr } from './ip-cidr.ts';
import {
  cidrContains,
  formatCidr,
  formatIpAddress,
  hostBitsClear,
  parseCidr,
  parseIpAddress,
} from './ip-cidr.ts';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
}

describe('parseCidr', () => {
  it('reads every address fast-check generates, and its canonical form reads back the same', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const parsed = cidr(text);
        assert.deepEqual(cidr(formatCidr(parsed)), parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts an IPv6 address exactly when the WHATWG URL parser does (an independent reader)', () => {
    const piece = fc.constantFrom(
      '0',
      '1',
      'ff',
      'FFFF',
      '12345',
      'g',
      '',
      '1.2.3.4',
      '01.2.3.4',
      '256.1.1.1',
    );
    const candidate = fc
      .array(piece, { minLength: 1, maxLength: 10 })
      .chain((pieces) => fc.constantFrom(pieces.join(':'), `::${pieces.join(':')}`, `${pieces.join(':')}::`));
    fc.assert(
      fc.property(candidate, (text) => {
        assert.equal(parseIpAddress(text)?.family === 6, URL.canParse(`http://[${text}]/`), text);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what is not an address or a prefix', () => {
    for (const text of [
      '',
      '10.0.0',
      '10.0.0.0.0',
      '01.2.3.4',
      '256.0.0.0',
      '10.0.0.0/33',
      '10.0.0.0/08',
      '10.0.0.0/',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '12345::',
      'fe80::1%eth0',
      '::/129',
      ' ::1',
      '10.0.0.1 ',
    ])
      assert.equal(parseCidr(text), undefined, text);
  });

  it('gives a host prefix to a bare address', () => {
    assert.equal(cidr('192.0.2.1').prefix, 32);
    assert.equal(cidr('::1').prefix, 128);
    assert.equal(parseIpAddress('10.0.0.0/8'), undefined);
  });
});

describe('formatIpAddress', () => {
  it('writes IPv6 as RFC 5952 §4 says: lower case, no leading zeros, the longest zero run (the first of equals) as ::', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ];
    for (const [input, expected] of cases) assert.equal(formatIpAddress(cidr(input)), expected, input);
  });
});

describe('cidrContains and hostBitsClear', () => {
  it('match addresses within the prefix and of the same family only', () => {
    const address = (text: string) => {
      const parsed = parseIpAddress(text);
      assert.ok(parsed);
      return parsed;
    };
    assert.equal(cidrContains(cidr('10.0.0.0/8'), address('10.255.1.2')), true);
    assert.equal(cidrContains(cidr('10.0.0.0/8'), address('11.0.0.0')), false);
    assert.equal(cidrContains(cidr('192.0.2.0/25'), address('192.0.2.128')), false);
    assert.equal(cidrContains(cidr('0.0.0.0/0'), address('203.0.113.9')), true);
    assert.equal(cidrContains(cidr('::/0'), address('203.0.113.9')), false);
    assert.equal(cidrContains(cidr('2001:db8::/32'), address('2001:db8:ffff::1')), true);
    assert.equal(cidrContains(cidr('2001:db8::/33'), address('2001:db8:8000::1')), false);
  });

  it('see host bits after the prefix', () => {
    assert.equal(hostBitsClear(cidr('192.168.1.0/24')), true);
    assert.equal(hostBitsClear(cidr('192.168.1.10/24')), false);
    assert.equal(hostBitsClear(cidr('192.168.1.128/25')), true);
    assert.equal(hostBitsClear(cidr('fe80::1/10')), false);
  });
});
