import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIfInet6 } from './if-inet6.ts';
import { parseCpuinfo, parseMemTotal } from './proc-system.ts';

describe('parseCpuinfo', () => {
  it('reads the x86 model name and counts processors', () => {
    const text =
      'processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n';
    assert.deepEqual(parseCpuinfo(text), { model: 'AMD EPYC 7B13', processors: 2 });
  });

  it('reads the Model line of an ARM board and an old ARM kernel Processor line', () => {
    const pi =
      'processor\t: 0\nBogoMIPS\t: 108.00\n\nprocessor\t: 1\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n';
    assert.deepEqual(parseCpuinfo(pi), { model: 'Raspberry Pi 4 Model B Rev 1.4', processors: 2 });
    const old = 'Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\n';
    assert.deepEqual(parseCpuinfo(old), { model: 'ARMv7 Processor rev 10 (v7l)', processors: 1 });
  });

  it('reports no model and no processors for garbage', () => {
    assert.deepEqual(parseCpuinfo('\u0000garbage\n:::'), { processors: 0 });
  });
});

describe('parseMemTotal', () => {
  it('converts kB (KiB) to bytes', () => {
    assert.equal(parseMemTotal('MemTotal:       24684100 kB\nMemFree: 1 kB\n'), 24684100 * 1024);
  });

  it('is undefined when missing, malformed or absurd', () => {
    assert.equal(parseMemTotal('MemFree: 1 kB'), undefined);
    assert.equal(parseMemTotal('MemTotal: lots kB'), undefined);
    assert.equal(parseMemTotal(`MemTotal: ${'9'.repeat(40)} kB`), undefined);
  });
});

describe('parseIfInet6', () => {
  it('reads addresses and the temporary flag', () => {
    const text = [
      'fe8000000000000000fc00fffe000001 04 40 20 80     eth0',
      '20010db8000000001234567890abcdef 04 40 00 01     eth0',
      '00000000000000000000000000000001 01 80 10 80       lo',
      'garbage',
    ].join('\n');
    assert.deepEqual(parseIfInet6(text), [
      { interfaceName: 'eth0', address: 'fe80::fc:ff:fe00:1', prefixLength: 64, temporary: false },
      { interfaceName: 'eth0', address: '2001:db8::1234:5678:90ab:cdef', prefixLength: 64, temporary: true },
      { interfaceName: 'lo', address: '::1', prefixLength: 128, temporary: false },
    ]);
  });
});
