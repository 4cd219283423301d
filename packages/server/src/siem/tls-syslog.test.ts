import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Rsyslog, startRsyslog } from '@palisade/testkit';
import { SiemError } from './siem-error.ts';
import { tlsSyslog } from './stream-syslog.ts';
import {
  createTestPki,
  formatEvent,
  makeEvents,
  NEEDS_RSYSLOG,
  parseEvent,
  type TestPki,
  waitForLine,
  waitForMessages,
} from './syslog-test-fixtures.ts';

describe('tlsSyslog', { skip: NEEDS_RSYSLOG }, () => {
  let pki: TestPki;
  before(async () => {
    pki = await createTestPki();
  });

  const serverTls = (requireClientCert: boolean) => ({
    certPem: pki.serverCertPem,
    keyPem: pki.serverKeyPem,
    caPem: pki.caPem,
    requireClientCert,
  });
  const clientCert = () => ({ certPem: pki.clientCertPem, keyPem: pki.clientKeyPem });

  describe('to rsyslog without client authentication (anon)', () => {
    let rsyslog: Rsyslog;
    before(async () => {
      rsyslog = await startRsyslog({ tls: serverTls(false) });
    });
    after(async () => {
      await rsyslog?.[Symbol.asyncDispose]();
    });

    it('delivers 1,000 messages in order, byte-identical (RFC 5425)', async () => {
      const events = makeEvents(1_000, 'tls', { every: 100, size: 7_900 });
      const lines = events.map(formatEvent);
      const transport = tlsSyslog({
        host: '127.0.0.1',
        port: rsyslog.tlsPort,
        caPem: pki.caPem,
        servername: 'localhost',
      });
      try {
        for (let i = 0; i < lines.length; i += 250) await transport.send(lines.slice(i, i + 250));
      } finally {
        await transport.close();
      }
      const received = (await waitForMessages(rsyslog, 1_000)).filter((line) => line.includes('"tls-'));
      assert.deepEqual(received, lines);
      assert.deepEqual(received.map(parseEvent), events);
    });

    it('refuses a server whose certificate does not name the configured servername (RFC 5425 §5.2)', async () => {
      const transport = tlsSyslog({
        host: '127.0.0.1',
        port: rsyslog.tlsPort,
        caPem: pki.caPem,
        servername: 'siem.example',
      });
      await assert.rejects(transport.send(makeEvents(1, 'misnamed').map(formatEvent)), {
        code: 'SIEM_TLS_REFUSED',
        details: { host: '127.0.0.1', port: rsyslog.tlsPort, reason: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      });
      await transport.close();
    });

    it('survives an outage: sends fail while rsyslog is down, then reconnect; every event arrives exactly once', async () => {
      await using outage = await startRsyslog({ tls: serverTls(false) });
      const events = makeEvents(300, 'tls-outage');
      const [a, b, c] = [0, 100, 200].map((start) => events.slice(start, start + 100).map(formatEvent));
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      const transport = tlsSyslog({
        host: '127.0.0.1',
        port: outage.tlsPort,
        caPem: pki.caPem,
        servername: 'localhost',
      });
      try {
        await transport.send(a);
        assert.equal((await waitForMessages(outage, 100)).length, 100);
        await outage.stop();
        await assert.rejects(transport.send(b), { code: 'SIEM_DESTINATION_UNREACHABLE' });
        await outage.start();
        await transport.send(b);
        await transport.send(c);
      } finally {
        await transport.close();
      }
      await waitForMessages(outage, 300);
      await sleep(300); // would a duplicate still come?
      assert.deepEqual((await outage.readMessages()).map(parseEvent), events);
    });
  });

  describe('to rsyslog requiring a client certificate (x509/certvalid)', () => {
    let rsyslog: Rsyslog;
    before(async () => {
      rsyslog = await startRsyslog({ tls: serverTls(true) });
    });
    after(async () => {
      await rsyslog?.[Symbol.asyncDispose]();
    });

    it('delivers 1,000 messages with a client certificate from the trusted CA (RFC 5425 §4.2.1)', async () => {
      const events = makeEvents(1_000, 'mtls');
      const lines = events.map(formatEvent);
      const transport = tlsSyslog({
        host: '127.0.0.1',
        port: rsyslog.tlsPort,
        caPem: pki.caPem,
        servername: 'localhost',
        clientCert: clientCert(),
      });
      try {
        for (let i = 0; i < lines.length; i += 250) await transport.send(lines.slice(i, i + 250));
      } finally {
        await transport.close();
      }
      const received = (await waitForMessages(rsyslog, 1_000)).filter((line) => line.includes('"mtls-'));
      assert.deepEqual(received, lines);
      assert.deepEqual(received.map(parseEvent), events);
    });

    it('is refused without a client certificate (SIEM_TLS_REFUSED) and delivers nothing', async () => {
      const [refused, marker] = makeEvents(2, 'no-client-cert').map(formatEvent);
      assert.ok(refused !== undefined && marker !== undefined);
      const anonymous = tlsSyslog({
        host: '127.0.0.1',
        port: rsyslog.tlsPort,
        caPem: pki.caPem,
        servername: 'localhost',
      });
      try {
        await assert.rejects(anonymous.send([refused]), (error: unknown) => {
          assert.ok(error instanceof SiemError);
          assert.equal(error.code, 'SIEM_TLS_REFUSED');
          return true;
        });
      } finally {
        await anonymous.close();
      }
      const authenticated = tlsSyslog({
        host: '127.0.0.1',
        port: rsyslog.tlsPort,
        caPem: pki.caPem,
        servername: 'localhost',
        clientCert: clientCert(),
      });
      try {
        await authenticated.send([marker]);
      } finally {
        await authenticated.close();
      }
      const received = await waitForLine(rsyslog, marker);
      assert.ok(received.includes(marker));
      assert.ok(!received.includes(refused), 'the refused message never reached the file');
    });
  });

  it('refuses a server certificate issued by another CA (SIEM_TLS_REFUSED)', async () => {
    await using impostor = await startRsyslog({
      tls: {
        certPem: pki.otherCaServerCertPem,
        keyPem: pki.otherCaServerKeyPem,
        caPem: pki.caPem,
        requireClientCert: false,
      },
    });
    const transport = tlsSyslog({
      host: '127.0.0.1',
      port: impostor.tlsPort,
      caPem: pki.caPem,
      servername: 'localhost',
    });
    try {
      await assert.rejects(transport.send(makeEvents(1, 'impostor').map(formatEvent)), (error: unknown) => {
        assert.ok(error instanceof SiemError);
        assert.equal(error.code, 'SIEM_TLS_REFUSED');
        assert.equal(error.details?.reason, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
        return true;
      });
    } finally {
      await transport.close();
    }
    await sleep(200);
    assert.deepEqual(await impostor.readMessages(), []);
  });
});
