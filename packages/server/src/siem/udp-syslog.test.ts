import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Rsyslog, startRsyslog } from '@palisade/testkit';
import { SiemError } from './siem-error.ts';
import {
  formatEvent,
  makeEvents,
  NEEDS_RSYSLOG,
  parseEvent,
  waitForLine,
  waitForMessages,
} from './syslog-test-fixtures.ts';
import { udpSyslog } from './udp-syslog.ts';

describe('udpSyslog', { skip: NEEDS_RSYSLOG }, () => {
  let rsyslog: Rsyslog;
  before(async () => {
    rsyslog = await startRsyslog({ udp: true });
  });
  after(async () => {
    await rsyslog?.[Symbol.asyncDispose]();
  });

  describe('#send', () => {
    it('delivers 1,000 messages, one per datagram, byte-identical in rsyslog (RFC 5426 §3.1)', async () => {
      const events = makeEvents(1_000, 'udp');
      const lines = events.map(formatEvent);
      const transport = udpSyslog({ host: '127.0.0.1', port: rsyslog.udpPort });
      try {
        // Batches of 100: loopback UDP is only as reliable as the receive buffer it fills.
        for (let i = 0; i < lines.length; i += 100) await transport.send(lines.slice(i, i + 100));
      } finally {
        await transport.close();
      }
      const received = (await waitForMessages(rsyslog, 1_000)).filter((line) => line.includes('"udp-'));
      assert.equal(received.length, 1_000);
      // UDP may reorder in general; on loopback it does not, but compare as sets to say what is promised.
      assert.deepEqual([...received].sort(), [...lines].sort());
      assert.deepEqual(received.map(parseEvent).sort(byId), [...events].sort(byId));
    });

    it('refuses the whole batch when one message exceeds 2048 bytes (RFC 5426 §3.2), sending none of it', async () => {
      const transport = udpSyslog({ host: '127.0.0.1', port: rsyslog.udpPort });
      try {
        const [small, marker] = makeEvents(2, 'udp-size').map(formatEvent);
        assert.ok(small !== undefined && marker !== undefined);
        const big = `${small} ${'y'.repeat(2048 - Buffer.byteLength(small))}`; // 2049 bytes
        await assert.rejects(transport.send([small, big]), (error: unknown) => {
          assert.ok(error instanceof SiemError);
          assert.equal(error.code, 'SIEM_MESSAGE_TOO_LARGE');
          assert.deepEqual(error.details, { index: 1, bytes: 2049, maxMessageBytes: 2048 });
          return true;
        });
        await transport.send([marker]);
        const received = await waitForLine(rsyslog, marker);
        assert.ok(received.includes(marker));
        assert.ok(!received.includes(small), 'nothing of the refused batch was sent');
      } finally {
        await transport.close();
      }
    });

    it('rejects with SIEM_TRANSPORT_CLOSED after close', async () => {
      const transport = udpSyslog({ host: '127.0.0.1', port: rsyslog.udpPort });
      await transport.close();
      await assert.rejects(transport.send(['<13>1 - - - - - - x']), { code: 'SIEM_TRANSPORT_CLOSED' });
    });
  });

  it('refuses a size limit below RFC 5426 §3.2 minimum or above a UDP payload', () => {
    assert.throws(() => udpSyslog({ host: '127.0.0.1', port: 514, maxMessageBytes: 479 }), RangeError);
    assert.throws(() => udpSyslog({ host: '127.0.0.1', port: 514, maxMessageBytes: 65_508 }), RangeError);
  });
});

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
