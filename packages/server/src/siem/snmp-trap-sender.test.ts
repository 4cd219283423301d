import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type LoggedTrap, type Snmptrapd, skipUnlessCommand, startSnmptrapd } from '@palisade/testkit';
import { SnmpExportError } from './snmp-error.ts';
import { type SnmpTrapSender, snmpTrapSender, type TrapEvent } from './snmp-trap-sender.ts';
import { utf8Prefix } from './snmp-varbinds.ts';

const skip = skipUnlessCommand('snmptrapd', ['-v']);
const ENGINE_ID = '8000b98380a1b2c3d4e5f60718293a4b';
const USER = {
  name: 'palisade',
  authProtocol: 'sha',
  authKey: 'auth-passphrase-1',
  privProtocol: 'aes',
  privKey: 'priv-passphrase-1',
} as const;
const TRAPD_USER = {
  name: USER.name,
  authProtocol: 'SHA',
  authKey: USER.authKey,
  privProtocol: 'AES',
  privKey: USER.privKey,
  senderEngineIds: [ENGINE_ID],
} as const;

const EVENT: TrapEvent = {
  id: 'evt-0001',
  type: 'control.failed',
  severity: 7,
  deviceId: 'dev-42',
  source: 'device',
  controls: ['disk-encryption', 'firewall'],
  message: 'Disk encryption is off',
  occurredAt: new Date('2025-03-04T05:06:07.890Z'),
};

async function trapd(t: TestContext, withUser = false): Promise<Snmptrapd> {
  const server = await startSnmptrapd(withUser ? { user: TRAPD_USER } : {});
  t.after(() => server[Symbol.asyncDispose]());
  return server;
}

function v2c(t: TestContext, server: Snmptrapd, inform: boolean): SnmpTrapSender {
  const sender = snmpTrapSender({
    host: server.host,
    port: server.port,
    version: '2c',
    community: 'public',
    inform,
  });
  t.after(() => sender.close());
  return sender;
}

function v3(t: TestContext, server: Snmptrapd, inform: boolean, user: typeof USER | typeof WRONG_KEY = USER) {
  const sender = snmpTrapSender({
    host: server.host,
    port: server.port,
    version: '3',
    user,
    engineId: ENGINE_ID,
    inform,
    timeoutMs: 200,
    retries: 1,
  });
  t.after(() => sender.close());
  return sender;
}
const WRONG_KEY = { ...USER, authKey: 'not-the-auth-key' } as const;

/** The event's varbinds as snmptrapd printed them: names and values come from PALISADE-MIB. */
function assertDecoded(trap: LoggedTrap | undefined, event: TrapEvent = EVENT): void {
  assert.ok(trap);
  const printed = Object.fromEntries([...trap.varbinds].map(([name, v]) => [name, `${v.type}: ${v.value}`]));
  assert.equal(printed['SNMPv2-MIB::snmpTrapOID.0'], 'OID: PALISADE-MIB::palisadeSecurityEvent');
  assert.deepEqual(
    Object.fromEntries(Object.entries(printed).filter(([name]) => name.startsWith('PALISADE-MIB::'))),
    {
      'PALISADE-MIB::palisadeEventId.0': `STRING: ${event.id}`,
      'PALISADE-MIB::palisadeEventType.0': `STRING: ${event.type}`,
      'PALISADE-MIB::palisadeEventSeverity.0': `INTEGER: ${event.severity}`,
      'PALISADE-MIB::palisadeEventDeviceId.0': `STRING: ${event.deviceId ?? ''}`,
      'PALISADE-MIB::palisadeEventSource.0': `INTEGER: ${event.source}(${event.source === 'device' ? 1 : 2})`,
      'PALISADE-MIB::palisadeEventControls.0': `STRING: ${event.controls.join(',')}`,
      'PALISADE-MIB::palisadeEventMessage.0': `STRING: ${event.message}`,
      // RFC 2579 DateAndTime as its DISPLAY-HINT prints it: UTC, to the decisecond.
      'PALISADE-MIB::palisadeEventOccurredAt.0': 'STRING: 2025-3-4,5:6:7.8,+0:0',
    },
  );
}

describe('snmpTrapSender', () => {
  describe('SNMPv2c', () => {
    it('sends a trap that snmptrapd logs with every varbind decoded through PALISADE-MIB', {
      skip,
    }, async (t) => {
      const server = await trapd(t);
      await v2c(t, server, false).send(EVENT);
      const [trap] = await server.waitForTraps(1);
      assert.equal(trap?.pdu, 'TRAP2');
      assert.equal(trap?.version, 'v2c');
      assert.equal(trap?.securityName, 'public');
      assertDecoded(trap);
    });

    it('sends an inform that resolves once snmptrapd acknowledged it', { skip }, async (t) => {
      const server = await trapd(t);
      await v2c(t, server, true).send({ ...EVENT, deviceId: null, source: 'panel', controls: [] });
      const traps = await server.readTraps();
      assert.equal(traps.length, 1, 'acknowledged means already logged');
      assert.equal(traps[0]?.pdu, 'INFORM');
      assertDecoded(traps[0], { ...EVENT, deviceId: null, source: 'panel', controls: [] });
    });

    it('carries a message with line breaks and quotes verbatim', { skip }, async (t) => {
      const server = await trapd(t);
      const message = 'line one\nline "two" and \'three\'\r\n\ttab \\ backslash = STRING: fake';
      await v2c(t, server, true).send({ ...EVENT, message });
      const [trap] = await server.readTraps();
      assert.equal(trap?.varbinds.get('PALISADE-MIB::palisadeEventMessage.0')?.value, message);
      assert.equal(trap?.varbinds.size, 10, 'no varbind forged by the message');
    });

    it('cuts an oversized UTF-8 message on a character boundary', { skip }, async (t) => {
      const server = await trapd(t);
      const message = 'é'.repeat(200); // 400 octets; the MIB allows 255
      await v2c(t, server, true).send({ ...EVENT, message });
      const [trap] = await server.readTraps();
      const printed = trap?.varbinds.get('PALISADE-MIB::palisadeEventMessage.0')?.value ?? '';
      assert.equal(printed, utf8Prefix(message, 255, '…').toString('utf8'));
      assert.equal(printed, `${'é'.repeat(126)}…`);
    });
  });

  describe('SNMPv3 authPriv (SHA, AES-128)', () => {
    it('sends a trap that snmptrapd authenticates, decrypts and logs', { skip }, async (t) => {
      const server = await trapd(t, true);
      await v3(t, server, false).send(EVENT);
      const [trap] = await server.waitForTraps(1);
      assert.equal(trap?.pdu, 'TRAP2');
      assert.equal(trap?.version, 'v3');
      assert.equal(trap?.securityName, 'palisade');
      assertDecoded(trap);
    });

    it('sends informs, discovering the receiver engine first (RFC 3414 §4)', { skip }, async (t) => {
      const server = await trapd(t, true);
      const sender = v3(t, server, true);
      await sender.send(EVENT);
      await sender.send({ ...EVENT, id: 'evt-0002' });
      const traps = await server.readTraps();
      assert.deepEqual(
        traps.map((trap) => [
          trap.pdu,
          trap.version,
          trap.varbinds.get('PALISADE-MIB::palisadeEventId.0')?.value,
        ]),
        [
          ['INFORM', 'v3', 'evt-0001'],
          ['INFORM', 'v3', 'evt-0002'],
        ],
      );
      assertDecoded(traps[0]);
    });

    it('interoperates with SHA-256 and AES-256 (Blumenthal key extension)', { skip }, async (t) => {
      const strong = { ...USER, authProtocol: 'sha256', privProtocol: 'aes256b' } as const;
      const server = await startSnmptrapd({
        user: { ...TRAPD_USER, authProtocol: 'SHA-256', privProtocol: 'AES-256' },
      });
      t.after(() => server[Symbol.asyncDispose]());
      const sender = snmpTrapSender({
        host: server.host,
        port: server.port,
        version: '3',
        user: strong,
        retries: 0,
      });
      t.after(() => sender.close());
      await sender.send(EVENT);
      assertDecoded((await server.readTraps())[0]);
    });

    it('is not logged when sent with a wrong key', { skip }, async (t) => {
      const server = await trapd(t, true);
      await v3(t, server, false, WRONG_KEY).send({ ...EVENT, id: 'evt-forged' });
      // A good trap after the bad one: once it is logged, the bad one has been processed.
      await v3(t, server, false).send(EVENT);
      const traps = await server.waitForTraps(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(
        (await server.readTraps()).map((trap) => trap.varbinds.get('PALISADE-MIB::palisadeEventId.0')?.value),
        ['evt-0001'],
      );
      assert.equal(traps.length, 1);
      assert.match(await server.readLog(), /Authentication failed for palisade/);
    });

    it('rejects an inform sent with a wrong key, and nothing is logged', { skip }, async (t) => {
      const server = await trapd(t, true);
      const error = await v3(t, server, true, WRONG_KEY)
        .send(EVENT)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(error instanceof SnmpExportError);
      assert.equal(error.code, 'SNMP_INFORM_REJECTED');
      assert.doesNotMatch(error.message, /not-the-auth-key/);
      assert.deepEqual(await server.readTraps(), []);
    });

    it('rejects an unacknowledged inform after its retries, then delivers once the receiver is back', {
      skip,
    }, async (t) => {
      const server = await trapd(t, true);
      const sender = v3(t, server, true);
      await sender.send({ ...EVENT, id: 'evt-0000' });
      await server.stop();
      const started = performance.now();
      await assert.rejects(sender.send({ ...EVENT, id: 'evt-lost' }), (error: unknown) => {
        assert.ok(error instanceof SnmpExportError);
        assert.equal(error.code, 'SNMP_INFORM_UNACKNOWLEDGED');
        assert.deepEqual(error.details, { host: '127.0.0.1', port: server.port, retries: 1 });
        return true;
      });
      assert.ok(performance.now() - started >= 2 * 200 - 20, 'one attempt and one retry of 200 ms');
      // Restarted, snmptrapd counts one more snmpEngineBoots: the sender resynchronises (RFC 3414 §3.2 step 7).
      await server.start();
      await sender.send(EVENT);
      const traps = await server.readTraps();
      assert.deepEqual(
        traps.map((trap) => trap.varbinds.get('PALISADE-MIB::palisadeEventId.0')?.value),
        ['evt-0000', 'evt-0001'],
      );
    });
  });
});
