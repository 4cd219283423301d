import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeProcNetAddress, formatIpAddress, formatIpv6 } from './ip-address.ts';

const hex = (bytes: number[]) => Uint8Array.from(bytes);

describe('decodeProcNetAddress', () => {
  it('reverses each 32-bit word on a little-endian host', () => {
    assert.deepEqual(decodeProcNetAddress('0100007F', 'LE'), hex([127, 0, 0, 1]));
    assert.deepEqual(
      decodeProcNetAddress('00000000000000000000000001000000', 'LE'),
      hex([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    );
    // fe80::1 as an x86 kernel prints it: each word byte-swapped, words in order.
    assert.equal(
      formatIpAddress(decodeProcNetAddress('000080FE000000000000000001000000', 'LE') ?? hex([])),
      'fe80::1',
    );
  });

  it('keeps the printed order on a big-endian host', () => {
    assert.deepEqual(decodeProcNetAddress('7F000001', 'BE'), hex([127, 0, 0, 1]));
  });

  it('rejects other lengths and non-hex', () => {
    assert.equal(decodeProcNetAddress('0100007', 'LE'), undefined);
    assert.equal(decodeProcNetAddress('0100007G', 'LE'), undefined);
    assert.equal(decodeProcNetAddress('', 'LE'), undefined);
  });
});

describe('formatIpv6', () => {
  it('follows RFC 5952: longest zero run, first on a tie, no single-group ::, lowercase', () => {
    const cases: [number[], string][] = [
      [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
      [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'],
      [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
      [[0xfe80, 0, 0, 0, 0, 0, 0, 0xabcd], 'fe80::abcd'],
      [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
    ];
    for (const [groups, text] of cases) {
      const bytes = new Uint8Array(16);
      groups.forEach((g, i) => {
        bytes[i * 2] = g >> 8;
        bytes[i * 2 + 1] = g & 0xff;
      });
      assert.equal(formatIpv6(bytes), text);
    }
  });

  it('writes IPv4-mapped addresses in mixed notation (RFC 5952 §5)', () => {
    assert.equal(
      formatIpv6(hex([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1])),
      '::ffff:127.0.0.1',
    );
  });

  it('always yields a valid address in the canonical form the WHATWG URL parser also produces (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = formatIpv6(bytes);
        assert.equal(isIP(text), 6);
        if (!text.startsWith('::ffff:')) assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
      }),
    );
  });
});
