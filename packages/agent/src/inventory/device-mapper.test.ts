import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cryptTypeFromDmUuid, parseDmsetupCryptTable } from './device-mapper.ts';

const KEY = 'a'.repeat(128);

describe('parseDmsetupCryptTable', () => {
  it('reads name, cipher and backing device, and never keeps the key', () => {
    const text = [
      `nvme0n1p3_crypt: 0 1996365824 crypt aes-xts-plain64 ${KEY} 0 259:3 32768 1 allow_discards`,
      'swap: 0 8388608 crypt aes-cbc-essiv:sha256 :64:logon:cryptsetup:1234-d0 0 /dev/sdb2 0',
      '',
    ].join('\n');
    const targets = parseDmsetupCryptTable(text);
    assert.deepEqual(targets, [
      { name: 'nvme0n1p3_crypt', cipher: 'aes-xts-plain64', device: '259:3' },
      { name: 'swap', cipher: 'aes-cbc-essiv:sha256', device: '/dev/sdb2' },
    ]);
    assert.ok(!JSON.stringify(targets).includes(KEY));
    assert.ok(!JSON.stringify(targets).includes('logon'));
  });

  it('yields nothing for "No devices found", garbage or truncated lines', () => {
    assert.deepEqual(parseDmsetupCryptTable('No devices found\n'), []);
    assert.deepEqual(parseDmsetupCryptTable(`x: 0 10 crypt aes ${KEY}`), []);
    assert.deepEqual(parseDmsetupCryptTable('vg-root: 0 100 linear 253:0 2048'), []);
    assert.deepEqual(parseDmsetupCryptTable(`${'x'.repeat(100_000)}: 0 1 crypt c k 0 1:1 0`), []);
  });
});

describe('cryptTypeFromDmUuid', () => {
  it('maps cryptsetup UUID prefixes to volume types', () => {
    assert.equal(cryptTypeFromDmUuid('CRYPT-LUKS2-5f4bd5d2c1a94a1c9c5e0d4b7e3c2a10-cryptroot'), 'luks2');
    assert.equal(cryptTypeFromDmUuid('CRYPT-LUKS1-5f4bd5d2c1a94a1c9c5e0d4b7e3c2a10-old'), 'luks1');
    assert.equal(cryptTypeFromDmUuid('CRYPT-PLAIN-swap'), 'plain');
    assert.equal(cryptTypeFromDmUuid('LVM-abcdef'), undefined);
    assert.equal(cryptTypeFromDmUuid(''), undefined);
  });
});
