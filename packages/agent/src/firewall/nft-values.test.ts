import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cidr, interfaceName } from './firewall-arbitraries.ts';
import { nftAddress, nftComment, nftInterfaceName, nftPorts } from './nft-values.ts';

describe('nftAddress', () => {
  it('sorts addresses and CIDRs into nft families', () => {
    assert.deepEqual(nftAddress('10.1.0.0/16'), { family: 'ip', text: '10.1.0.0/16' });
    assert.deepEqual(nftAddress('203.0.113.9'), { family: 'ip', text: '203.0.113.9' });
    assert.deepEqual(nftAddress('FD00::/8'), { family: 'ip6', text: 'fd00::/8' });
    assert.deepEqual(nftAddress('::ffff:192.0.2.1'), { family: 'ip6', text: '::ffff:192.0.2.1' });
  });

  it('refuses what is not one address with an optional in-range prefix', () => {
    for (const text of [
      '',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0.0/08',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '010.0.0.1',
      'fe80::1%eth0',
      ' 10.0.0.1',
      '10.0.0.1, 10.0.0.2',
      '10.0.0.1 accept',
      'example.net',
    ]) {
      assert.equal(nftAddress(text), undefined, text);
    }
  });

  it('accepts every well-formed CIDR (property)', () => {
    fc.assert(fc.property(cidr, (text) => assert.notEqual(nftAddress(text), undefined)));
  });

  it('never lets through anything but hex digits, dots, colons and one slash (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const parsed = nftAddress(text);
        if (parsed !== undefined) assert.match(parsed.text, /^[0-9a-f.:]+(\/[0-9]{1,3})?$/);
      }),
    );
  });
});

describe('nftInterfaceName', () => {
  it('quotes a safe name, with nft’s trailing wildcard allowed', () => {
    assert.equal(nftInterfaceName('eth0'), '"eth0"');
    assert.equal(nftInterfaceName('br-lan.100'), '"br-lan.100"');
    assert.equal(nftInterfaceName('wlan*'), '"wlan*"');
  });

  it('refuses empty, over-long (IFNAMSIZ) and unsafe names', () => {
    for (const name of ['', 'a'.repeat(16), 'eth0"', 'eth 0', 'eth/0', 'e*th', '*', 'eth0\n']) {
      assert.equal(nftInterfaceName(name), undefined, JSON.stringify(name));
    }
  });

  it('yields one quoted token of safe characters or nothing, for any input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(interfaceName, fc.string({ unit: 'binary', maxLength: 20 })), (name) => {
        const quoted = nftInterfaceName(name);
        if (quoted !== undefined) assert.match(quoted, /^"[A-Za-z0-9_.@+-]{1,15}\*?"$/);
      }),
    );
  });
});

describe('nftComment', () => {
  it('keeps plain text and replaces nft syntax with underscores', () => {
    assert.equal(
      nftComment('allow SCADA (Modbus/TCP) from cell-3'),
      '"allow SCADA (Modbus/TCP) from cell-3"',
    );
    assert.equal(nftComment('a"b\\c;d#e{f}$g\nh'), '"a_b_c_d_e_f__g_h"');
    assert.equal(nftComment('Zürich ✓'), '"Z_rich _"');
  });

  it('truncates to nft’s 128-character limit and drops an empty result', () => {
    assert.equal(nftComment('x'.repeat(300)), `"${'x'.repeat(128)}"`);
    assert.equal(nftComment('   '), undefined);
  });
});

describe('nftPorts', () => {
  it('renders a single port bare and several as a set', () => {
    assert.equal(nftPorts([{ from: 22, to: 22 }]), '22');
    assert.equal(nftPorts([{ from: 1000, to: 2000 }]), '1000-2000');
    assert.equal(
      nftPorts([
        { from: 22, to: 22 },
        { from: 1000, to: 2000 },
      ]),
      '{ 22, 1000-2000 }',
    );
  });

  it('refuses an empty list, reversed ranges and non-ports', () => {
    assert.equal(nftPorts([]), undefined);
    assert.equal(nftPorts([{ from: 2, to: 1 }]), undefined);
    assert.equal(nftPorts([{ from: 0, to: 1 }]), undefined);
    assert.equal(nftPorts([{ from: 1, to: 65_536 }]), undefined);
  });
});
