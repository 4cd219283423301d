import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SnmpExportError } from './snmp-error.ts';
import { snmpTrapSender } from './snmp-trap-sender.ts';
import {
  dateAndTime,
  PALISADE_EVENT_OIDS,
  PALISADE_MIB_SIZES,
  securityEventVarbinds,
  type TrapEvent,
  utf8Prefix,
} from './snmp-varbinds.ts';

const EVENT: TrapEvent = {
  id: 'evt-1',
  type: 'control.failed',
  severity: 3,
  deviceId: null,
  source: 'panel',
  controls: [],
  message: 'hello',
  occurredAt: '2025-12-31T23:59:59.999Z',
};

function octets(event: TrapEvent, oid: string): string {
  const varbind = securityEventVarbinds(event).find((v) => v.oid === oid);
  assert.ok(varbind?.type === 'octets');
  return varbind.value.toString('utf8');
}

describe('utf8Prefix', () => {
  it('never splits a character and never exceeds the limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 120 }),
        fc.integer({ min: 0, max: 300 }),
        (text, max) => {
          const prefix = utf8Prefix(text, max, '…');
          const decoded = prefix.toString('utf8');
          assert.ok(prefix.length <= max);
          assert.ok(!decoded.includes('\ufffd'), 'decodes without replacement characters');
          assert.deepEqual(Buffer.from(decoded, 'utf8'), prefix);
          if (Buffer.byteLength(text) <= max) assert.equal(decoded, text);
          else if (max < 3) assert.ok(text.startsWith(decoded), 'no room for the marker');
          else assert.ok(text.startsWith(decoded.slice(0, -1)) && decoded.endsWith('…'));
        },
      ),
    );
  });

  it('backs up over a 4-octet character that does not fit', () => {
    assert.equal(utf8Prefix('ab😀', 5).toString('utf8'), 'ab');
  });
});

describe('securityEventVarbinds', () => {
  it('sends a null device as the empty string and the source as its enumeration', () => {
    const varbinds = securityEventVarbinds(EVENT);
    assert.equal(octets(EVENT, PALISADE_EVENT_OIDS.deviceId), '');
    assert.deepEqual(
      varbinds.find((v) => v.oid === PALISADE_EVENT_OIDS.source),
      { oid: PALISADE_EVENT_OIDS.source, type: 'integer', value: 2 },
    );
    assert.deepEqual(
      varbinds.map((v) => v.oid),
      Object.values(PALISADE_EVENT_OIDS),
      'in the OBJECTS order of the NOTIFICATION-TYPE',
    );
  });

  it('keeps whole control identifiers when the list does not fit 255 octets', () => {
    const controls = Array.from({ length: 40 }, (_, i) => `control-${String(i).padStart(2, '0')}`);
    const list = octets({ ...EVENT, controls }, PALISADE_EVENT_OIDS.controls);
    assert.ok(Buffer.byteLength(list) <= 255);
    assert.deepEqual(list.split(','), controls.slice(0, list.split(',').length));
    assert.equal(list.split(',').length, 23); // 23 × 10 + 22 commas = 252 octets
  });

  it('rejects what PALISADE-MIB cannot carry, naming every problem', () => {
    assert.throws(
      () => securityEventVarbinds({ ...EVENT, id: '', severity: 11, occurredAt: 'yesterday' }),
      (error: unknown) => {
        assert.ok(error instanceof SnmpExportError);
        assert.equal(error.code, 'SNMP_EVENT_INVALID');
        assert.deepEqual(error.details?.problems, [
          'id is empty',
          'severity is not an integer in 0..10',
          'occurredAt is not a valid time',
        ]);
        return true;
      },
    );
  });
});

describe('dateAndTime', () => {
  it('encodes RFC 2579 DateAndTime in UTC, to the decisecond', () => {
    assert.deepEqual(
      [...dateAndTime(new Date('2025-12-31T23:59:59.999+02:00'))],
      [0x07, 0xe9, 12, 31, 21, 59, 59, 9, 0x2b, 0, 0],
    );
  });
});

describe('a palisadeSecurityEvent at every maximum size', () => {
  it('fits one unfragmented UDP datagram on a 1500-octet MTU, SNMPv3 with SHA-512 included', async (t) => {
    const receiver = createSocket('udp4');
    t.after(() => receiver.close());
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    const sender = snmpTrapSender({
      host: '127.0.0.1',
      port: receiver.address().port,
      version: '3',
      inform: false,
      engineId: 'ab'.repeat(32),
      user: {
        name: 'u'.repeat(32),
        authProtocol: 'sha512',
        authKey: 'k'.repeat(8),
        privProtocol: 'aes256b',
        privKey: 'p'.repeat(8),
      },
    });
    t.after(() => sender.close());
    const received = once(receiver, 'message');
    await sender.send({
      id: 'i'.repeat(PALISADE_MIB_SIZES.id),
      type: 't'.repeat(PALISADE_MIB_SIZES.type),
      severity: 10,
      deviceId: 'd'.repeat(PALISADE_MIB_SIZES.deviceId),
      source: 'device',
      controls: Array.from({ length: 100 }, () => 'RT-1'),
      message: '€'.repeat(1000),
      occurredAt: new Date(),
    });
    const [datagram] = (await received) as [Buffer];
    assert.ok(datagram.length <= 1500 - 20 - 8, `${datagram.length} octets`);
  });
});
