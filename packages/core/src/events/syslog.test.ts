import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatCef } from './cef.ts';
import { CONTROL_IDS } from './control-ids.ts';
import { hostileEvent } from './event-arbitraries.ts';
import { FIM_EVENT, FORGED_LINE, HOSTILE_LOGIN_EVENT } from './event-fixtures.ts';
import { parseSecurityEvent } from './parse-security-event.ts';
import { EventError } from './security-event.ts';
import { decodeCef, decodeSyslog5424 } from './siem-test-decoders.ts';
import type { SyslogOptions } from './syslog.ts';
import {
  escapeSdParamValue,
  formatSyslog5424,
  frameOctetCounting,
  SYSLOG_TRUNCATION_MARKER,
  syslogSeverity,
} from './syslog.ts';

const CEF_OPTIONS: SyslogOptions = {
  hostname: 'panel-1.example.net',
  appName: 'palisade-panel',
  facility: 16,
  payload: 'cef',
  cef: { product: 'Panel', version: '1.4.0' },
};
const utf8 = (text: string): number => new TextEncoder().encode(text).length;

describe('formatSyslog5424', () => {
  it('writes PRI, header, both SD elements and the CEF payload (RFC 5424 §6)', () => {
    assert.equal(
      formatSyslog5424(FIM_EVENT, CEF_OPTIONS),
      '<131>1 2026-03-01T12:00:01.250Z panel-1.example.net palisade-panel - - ' +
        '[palisade@32473 id="0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d" type="fim.modified" source="device" ' +
        'device="gw-berlin-07" severity="7" controls="MO-1,SB-3" occurred="2026-03-01T12:00:00.000Z" ' +
        'received="2026-03-01T12:00:01.250Z"][palisadeFields@32473 actualSha256="cd34" expectedSha256="ab12" ' +
        `explainedByUpdate="false" path="/etc/ssh/sshd_config"] ${formatCef(FIM_EVENT, CEF_OPTIONS.cef)}`,
    );
  });

  it('escapes SD-PARAM values and writes the JSON payload on the same line', () => {
    const line = formatSyslog5424(HOSTILE_LOGIN_EVENT, {
      hostname: 'panel-1.example.net',
      appName: 'palisade-panel',
      procId: '4242',
      msgId: 'event',
      facility: 4,
      payload: 'json',
    });
    assert.equal(
      line,
      '<36>1 2026-03-01T12:00:00.000Z panel-1.example.net palisade-panel 4242 event ' +
        '[palisade@32473 id="01JNKQ8Z6Y3W2V1T0S9R8Q7P6N" type="operator.login_failed" source="panel" severity="5" ' +
        'occurred="2026-03-01T12:00:00.000Z" received="2026-03-01T12:00:00.000Z"]' +
        String.raw`[palisadeFields@32473 attempts="3" remoteAddress="192.0.2.7" username="ad\]min|x=1\\"] ` +
        String.raw`{"controls":[],"deviceId":null,"fields":{"attempts":3,"remoteAddress":"192.0.2.7","username":"ad]min|x=1\\"},` +
        String.raw`"id":"01JNKQ8Z6Y3W2V1T0S9R8Q7P6N","message":"login failed for \"ad]min|x=1\\\"\n<13>1 2026-03-01T12:00:00Z evil app - - - forged",` +
        '"occurredAt":"2026-03-01T12:00:00.000Z","receivedAt":"2026-03-01T12:00:00.000Z","severity":5,"source":"panel",' +
        '"type":"operator.login_failed"}',
    );
  });

  it('a crafted event cannot forge a second syslog line, in any member, with either payload', () => {
    const evil = `\n${FORGED_LINE}\r\n${FORGED_LINE}`;
    const event = {
      ...FIM_EVENT,
      deviceId: `gw${evil}`,
      type: `fim${evil}`,
      message: evil,
      controls: ['MO-1'],
      fields: { path: evil, note: `"]${evil}` },
    };
    for (const options of [CEF_OPTIONS, { ...CEF_OPTIONS, payload: 'json' as const }]) {
      const line = formatSyslog5424(event, options);
      assert.equal(line.split(/\r\n|\r|\n/).length, 1);
      assert.ok(!line.includes(`\n${FORGED_LINE}`));
      const decoded = decodeSyslog5424(line);
      assert.equal(decoded.sd['palisade@32473']?.device, event.deviceId);
      assert.equal(decoded.sd['palisadeFields@32473']?.path, evil);
    }
  });

  it('maps Palisade severity 0–10 onto syslog 7 (debug) … 1 (alert), never 0 (emergency)', () => {
    assert.deepEqual(
      Array.from({ length: 11 }, (_, severity) => syslogSeverity(severity)),
      [7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 1],
    );
    assert.equal(syslogSeverity(11), 4);
    assert.equal(syslogSeverity(Number.NaN), 4);
  });

  it('starts MSG with the UTF-8 BOM only when asked (RFC 5424 §6.4)', () => {
    assert.equal(decodeSyslog5424(formatSyslog5424(FIM_EVENT, CEF_OPTIONS)).msg?.startsWith('CEF:0|'), true);
    const msg = decodeSyslog5424(formatSyslog5424(FIM_EVENT, { ...CEF_OPTIONS, bom: true })).msg;
    assert.equal(msg?.startsWith('\uFEFFCEF:0|'), true);
  });

  it('drops the fields element, then cuts MSG on a UTF-8 boundary with a marker, to fit maxBytes', () => {
    const event = { ...FIM_EVENT, message: '€😀\\'.repeat(400), fields: { path: 'p'.repeat(1000) } };
    const line = formatSyslog5424(event, { ...CEF_OPTIONS, maxBytes: 2048 });
    const bytes = new TextEncoder().encode(line);
    assert.ok(bytes.length <= 2048 && bytes.length > 2030, `${bytes.length} bytes`);
    assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(bytes), line);
    const decoded = decodeSyslog5424(line);
    assert.equal(decoded.sd['palisade@32473']?.truncated, 'true');
    assert.equal(decoded.sd['palisadeFields@32473'], undefined);
    assert.ok(decoded.msg?.endsWith(SYSLOG_TRUNCATION_MARKER));
    // The cut never leaves half an escape: the CEF still decodes and msg is a prefix of the message.
    const cef = decodeCef(decoded.msg?.slice(0, -SYSLOG_TRUNCATION_MARKER.length) ?? '');
    assert.ok(event.message.startsWith(cef.extensions.msg ?? 'missing'));
  });

  it('keeps the full payload when dropping the fields element is enough', () => {
    const event = { ...FIM_EVENT, fields: { path: 'p'.repeat(900) } };
    const json = { ...CEF_OPTIONS, payload: 'json' as const, maxBytes: 2048 };
    const line = formatSyslog5424(event, json);
    assert.ok(utf8(line) <= 2048);
    assert.equal(decodeSyslog5424(line).sd['palisade@32473']?.truncated, 'true');
    assert.deepEqual(JSON.parse(decodeSyslog5424(line).msg ?? '').fields, event.fields);
  });

  it('fits the largest parsed event into 2048 octets with the longest header options', () => {
    const event = parseSecurityEvent(
      {
        id: FIM_EVENT.id,
        source: 'device',
        deviceId: `g${'w'.repeat(127)}`,
        type: `a${'.b'.repeat(31)}c`,
        severity: 10,
        controls: CONTROL_IDS.slice(0, 16),
        message: '😀'.repeat(1024),
        occurredAt: FIM_EVENT.occurredAt,
        fields: Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`k${i}`, '€'.repeat(1000)])),
      },
      { now: new Date(FIM_EVENT.receivedAt) },
    );
    const long = {
      hostname: 'h'.repeat(255),
      appName: 'a'.repeat(48),
      procId: 'p'.repeat(128),
      msgId: 'm'.repeat(32),
    };
    for (const payload of ['cef', 'json'] as const) {
      const line = formatSyslog5424(event, { ...CEF_OPTIONS, ...long, payload, bom: true, maxBytes: 2048 });
      assert.ok(
        utf8(line) <= 2048 && line.endsWith(SYSLOG_TRUNCATION_MARKER),
        `${payload}: ${utf8(line)} bytes`,
      );
    }
  });

  it('rejects bad options naming each (EXPORT_OPTIONS_INVALID)', () => {
    const bad = {
      ...CEF_OPTIONS,
      hostname: 'has space',
      appName: 'a'.repeat(49),
      msgId: '',
      facility: 24,
      maxBytes: 480,
    };
    assert.throws(
      () => formatSyslog5424(FIM_EVENT, bad),
      (error: unknown) =>
        error instanceof EventError &&
        error.code === 'EXPORT_OPTIONS_INVALID' &&
        error.problems.map((p) => p.path).join() === '/hostname,/appName,/msgId,/facility,/maxBytes',
    );
  });

  it('never emits CR or LF, stays within maxBytes and round-trips SD and CEF values (property)', () => {
    fc.assert(
      fc.property(hostileEvent, fc.boolean(), (event, bom) => {
        const line = formatSyslog5424(event, { ...CEF_OPTIONS, bom, maxBytes: 1_048_576 });
        assert.doesNotMatch(line, /[\r\n]/);
        const decoded = decodeSyslog5424(line);
        const sd = decoded.sd['palisade@32473'];
        assert.equal(sd?.id, event.id);
        assert.equal(sd?.type, event.type);
        assert.equal(sd?.device, event.deviceId ?? undefined);
        for (const [key, value] of Object.entries(event.fields)) {
          assert.equal(decoded.sd['palisadeFields@32473']?.[key], String(value));
        }
        const cef = decodeCef((decoded.msg ?? '').slice(bom ? 1 : 0));
        assert.equal(cef.extensions.msg, event.message);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts hostile payloads to valid UTF-8 within any maxBytes (property)', () => {
    fc.assert(
      fc.property(
        hostileEvent,
        fc.integer({ min: 2048, max: 4096 }),
        fc.constantFrom('cef' as const, 'json' as const),
        (event, maxBytes, payload) => {
          const big = { ...event, message: event.message.repeat(200) };
          const options =
            payload === 'cef' ? { ...CEF_OPTIONS, maxBytes } : { ...CEF_OPTIONS, payload, maxBytes };
          const bytes = new TextEncoder().encode(formatSyslog5424(big, options));
          assert.ok(bytes.length <= maxBytes);
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('escapeSdParamValue (RFC 5424 §6.3.3)', () => {
  const table: [string, string][] = [
    ['plain', 'plain'],
    ['say "hi"', String.raw`say \"hi\"`],
    [String.raw`C:\dir`, String.raw`C:\\dir`],
    ['a]b', String.raw`a\]b`],
    ['[a=b]', String.raw`[a=b\]`],
    ['one\ntwo\r', String.raw`one\ntwo\r`],
  ];
  for (const [raw, escaped] of table) {
    it(`${JSON.stringify(raw)} → ${JSON.stringify(escaped)}`, () =>
      assert.equal(escapeSdParamValue(raw), escaped));
  }
});

describe('frameOctetCounting (RFC 6587 §3.4.1)', () => {
  it('prefixes the UTF-8 octet count, not the character count', () => {
    assert.equal(
      new TextDecoder().decode(frameOctetCounting('<14>1 - - - - - - €')),
      '21 <14>1 - - - - - - €',
    );
  });

  it('lets a receiver split a stream back into exactly the messages sent', () => {
    const messages = [
      formatSyslog5424(HOSTILE_LOGIN_EVENT, CEF_OPTIONS),
      formatSyslog5424(FIM_EVENT, CEF_OPTIONS),
    ];
    const stream = new Uint8Array([
      ...frameOctetCounting(messages[0] ?? ''),
      ...frameOctetCounting(messages[1] ?? ''),
    ]);
    const received: string[] = [];
    for (let offset = 0; offset < stream.length; ) {
      const space = stream.indexOf(0x20, offset);
      const length = Number(new TextDecoder().decode(stream.subarray(offset, space)));
      received.push(new TextDecoder().decode(stream.subarray(space + 1, space + 1 + length)));
      offset = space + 1 + length;
    }
    assert.deepEqual(received, messages);
  });
});
