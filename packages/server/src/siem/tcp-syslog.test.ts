import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Rsyslog, startRsyslog } from '@palisade/testkit';
import { tcpSyslog } from './stream-syslog.ts';
import {
  formatEvent,
  makeEvents,
  NEEDS_RSYSLOG,
  parseEvent,
  waitForFileSize,
  waitForLine,
  waitForMessages,
} from './syslog-test-fixtures.ts';

describe('tcpSyslog', { skip: NEEDS_RSYSLOG }, () => {
  let rsyslog: Rsyslog;
  before(async () => {
    rsyslog = await startRsyslog({ tcp: true });
  });
  after(async () => {
    await rsyslog?.[Symbol.asyncDispose]();
  });

  describe('#send', () => {
    it('delivers 1,000 messages in order, byte-identical, over one octet-counted connection', async () => {
      // Every 100th message is ~7.9 kB: octet counting must carry it across TCP segments whole.
      const events = makeEvents(1_000, 'tcp', { every: 100, size: 7_900 });
      const lines = events.map(formatEvent);
      const transport = tcpSyslog({ host: '127.0.0.1', port: rsyslog.tcpPort });
      try {
        for (let i = 0; i < lines.length; i += 250) await transport.send(lines.slice(i, i + 250));
      } finally {
        await transport.close();
      }
      const received = (await waitForMessages(rsyslog, 1_000)).filter((line) => line.includes('"tcp-'));
      assert.deepEqual(received, lines);
      assert.deepEqual(received.map(parseEvent), events);
    });

    it('keeps a line feed followed by a forged header inside ONE record (RFC 6587 §3.4.1)', async () => {
      const forged = '<13>1 2025-01-02T03:04:05Z evil.example sshd - - - forged';
      const [event] = makeEvents(1, 'inject');
      assert.ok(event !== undefined);
      const message = formatEvent({ ...event, detail: `user typed \n${forged}` });
      assert.ok(message.includes('\\n'), 'JSON escapes the line feed…');
      const raw = message.replace('\\n', '\n'); // …so put a real one in MSG, as a hostile CEF field could
      const transport = tcpSyslog({ host: '127.0.0.1', port: rsyslog.tcpPort });
      try {
        await transport.send([raw]);
      } finally {
        await transport.close();
      }
      // rsyslog escapes control characters on receive: the line feed is stored as "#012".
      const stored = raw.replace('\n', '#012');
      const received = await waitForLine(rsyslog, stored);
      assert.ok(received.includes(stored));
      assert.equal(received.filter((line) => line.includes('forged')).length, 1);
      assert.ok(!received.includes(forged), 'no forged record of its own');
    });

    it('is what stops the forgery: the same bytes with LF framing (RFC 6587 §3.4.2) split into two records', async () => {
      // The control experiment: without octet counting the receiver splits at the line feed.
      const forged = '<13>1 2025-01-02T03:04:05Z evil.example sshd - - - forged-lf';
      const first = '<108>1 2025-01-02T03:04:05.678Z panel.example palisade - x - lf-framed';
      const socket = connect(rsyslog.tcpPort, '127.0.0.1');
      await new Promise<void>((resolve) => socket.end(`${first}\n${forged}\n`, resolve));
      const received = await waitForLine(rsyslog, forged);
      assert.ok(received.includes(first) && received.includes(forged));
    });

    it('refuses a batch with a message over 8192 bytes (RFC 5425 §4.3.1) or an empty one', async () => {
      const transport = tcpSyslog({ host: '127.0.0.1', port: rsyslog.tcpPort });
      try {
        await assert.rejects(transport.send(['a', 'b'.repeat(8_193)]), {
          code: 'SIEM_MESSAGE_TOO_LARGE',
          details: { index: 1, bytes: 8_193, maxMessageBytes: 8_192 },
        });
        await assert.rejects(transport.send(['']), { code: 'SIEM_MESSAGE_INVALID' });
      } finally {
        await transport.close();
      }
    });

    it('rejects with SIEM_DESTINATION_UNREACHABLE when nothing listens', async () => {
      await using stopped = await startRsyslog({ tcp: true });
      await stopped.stop();
      const transport = tcpSyslog({ host: '127.0.0.1', port: stopped.tcpPort });
      await assert.rejects(transport.send(['<13>1 - - - - - - x']), {
        code: 'SIEM_DESTINATION_UNREACHABLE',
        details: { host: '127.0.0.1', port: stopped.tcpPort, reason: 'ECONNREFUSED' },
      });
      await transport.close();
    });
  });

  it('rejects, never resolves, a batch a stalled receiver does not take within writeTimeoutMs', async () => {
    // Not rsyslog: a listener that accepts and never reads, so the socket buffers fill up.
    const peers: Socket[] = [];
    const stalled = createServer((socket) => {
      peers.push(socket);
      socket.pause();
    });
    stalled.listen(0, '127.0.0.1');
    await once(stalled, 'listening');
    const address = stalled.address();
    assert.ok(address !== null && typeof address === 'object');
    const transport = tcpSyslog({ host: '127.0.0.1', port: address.port, writeTimeoutMs: 300 });
    try {
      const batch = Array.from({ length: 4_000 }, () => `<13>1 - - - - - - ${'z'.repeat(8_000)}`); // 32 MB
      await assert.rejects(transport.send(batch), {
        code: 'SIEM_DESTINATION_UNREACHABLE',
        details: { host: '127.0.0.1', port: address.port, reason: 'write timed out' },
      });
    } finally {
      await transport.close();
      for (const peer of peers) peer.destroy();
      stalled.close();
    }
  });

  it('survives an outage: sends fail while rsyslog is down, then reconnect; every event arrives exactly once', async () => {
    await using outage = await startRsyslog({ tcp: true });
    const events = makeEvents(300, 'outage');
    const [a, b, c] = [0, 100, 200].map((start) => events.slice(start, start + 100).map(formatEvent));
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    const transport = tcpSyslog({ host: '127.0.0.1', port: outage.tcpPort, connectTimeoutMs: 2_000 });
    try {
      await transport.send(a);
      assert.equal((await waitForMessages(outage, 100)).length, 100);
      await outage.stop();
      // The outbox keeps batch b and retries it; the transport must not claim it was sent.
      await assert.rejects(transport.send(b), { code: 'SIEM_DESTINATION_UNREACHABLE' });
      await sleep(200);
      await assert.rejects(transport.send(b), { code: 'SIEM_DESTINATION_UNREACHABLE' });
      await outage.start();
      await transport.send(b);
      await transport.send(c);
    } finally {
      await transport.close();
    }
    await waitForMessages(outage, 300);
    await sleep(300); // would a duplicate still come?
    const received = await outage.readMessages();
    assert.deepEqual(received.map(parseEvent), events);
  });

  it('throughput: 100,000 messages over TCP as received in the file (printed, not asserted)', async (t) => {
    await using bench = await startRsyslog({ tcp: true });
    const lines = makeEvents(100_000, 'bench').map(formatEvent);
    const fileBytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    const transport = tcpSyslog({ host: '127.0.0.1', port: bench.tcpPort });
    const started = performance.now();
    try {
      for (let i = 0; i < lines.length; i += 1_000) await transport.send(lines.slice(i, i + 1_000));
    } finally {
      await transport.close();
    }
    const sent = performance.now();
    assert.ok(await waitForFileSize(bench.file, fileBytes), 'all 100,000 messages reached the file');
    const received = performance.now();
    const rate = (ms: number) => Math.round(100_000 / (ms / 1_000)).toLocaleString('en-US');
    t.diagnostic(
      `TCP throughput: written by the transport in ${(sent - started).toFixed(0)} ms (${rate(sent - started)} msgs/s); ` +
        `in rsyslog's file after ${(received - started).toFixed(0)} ms (${rate(received - started)} msgs/s)`,
    );
    assert.equal((await bench.readMessages()).length, 100_000);
  });
});
