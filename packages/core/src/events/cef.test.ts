import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cefFieldKey, escapeCefExtension, escapeCefHeader, formatCef } from './cef.ts';
import { hostileEvent, hostileString } from './event-arbitraries.ts';
import { FIM_EVENT, FORGED_LINE, HOSTILE_LOGIN_EVENT } from './event-fixtures.ts';
import { decodeCef } from './siem-test-decoders.ts';

describe('formatCef', () => {
  it('writes a catalogued device event field by field (CEF rev 25)', () => {
    assert.equal(
      formatCef(FIM_EVENT, { product: 'Agent', version: '1.4.0' }),
      'CEF:0|Palisade|Agent|1.4.0|fim.modified|Protected file modified|7|' +
        'rt=1772366401250 start=1772366400000 externalId=0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d ' +
        'deviceExternalId=gw-berlin-07 cat=fim cs1Label=controls cs1=MO-1,SB-3 cs2Label=source cs2=device ' +
        'msg=Protected file /etc/ssh/sshd_config modified palisadeActualSha256=cd34 palisadeExpectedSha256=ab12 ' +
        'palisadeExplainedByUpdate=false palisadePath=/etc/ssh/sshd_config',
    );
  });

  it('escapes a hostile panel event and omits deviceExternalId and cs1 when empty', () => {
    assert.equal(
      formatCef(HOSTILE_LOGIN_EVENT, { product: 'Panel', version: '1.4|0' }),
      String.raw`CEF:0|Palisade|Panel|1.4\|0|operator.login_failed|Operator login failed|5|` +
        `rt=1772366400000 start=1772366400000 externalId=01JNKQ8Z6Y3W2V1T0S9R8Q7P6N cat=operator ` +
        String.raw`cs2Label=source cs2=panel msg=login failed for "ad]min|x\=1\\"\n<13>1 2026-03-01T12:00:00Z evil app - - - forged ` +
        String.raw`palisadeAttempts=3 palisadeRemoteAddress=192.0.2.7 palisadeUsername=ad]min|x\=1\\`,
    );
  });

  it('names an uncatalogued type by itself and writes an out-of-range severity as Unknown', () => {
    const line = formatCef(
      { ...FIM_EVENT, type: 'acme.sensor.drift', severity: 11 },
      { product: 'Agent', version: '1' },
    );
    assert.match(line, /^CEF:0\|Palisade\|Agent\|1\|acme\.sensor\.drift\|acme\.sensor\.drift\|Unknown\|/);
    assert.match(line, / cat=acme /);
  });

  it('keeps a crafted message from adding keys or a second line', () => {
    const message = `x cs1=ID-1 palisadeEvil=1\n${FORGED_LINE}`;
    const line = formatCef({ ...FIM_EVENT, message }, { product: 'Agent', version: '1' });
    assert.doesNotMatch(line, /[\r\n]/);
    const decoded = decodeCef(line);
    assert.equal(decoded.extensions.msg, message);
    assert.equal(decoded.extensions.cs1, 'MO-1,SB-3');
    assert.equal(decoded.extensions.palisadeEvil, undefined);
  });

  it('drops a field whose key is not a valid name rather than writing a hostile key', () => {
    const line = formatCef(
      { ...FIM_EVENT, fields: { 'a b=c': 'x', ok: 1 } },
      { product: 'Agent', version: '1' },
    );
    assert.deepEqual(
      Object.keys(decodeCef(line).extensions).filter((key) => key.startsWith('palisade')),
      ['palisadeOk'],
    );
  });

  it('never emits CR or LF and round-trips every value (property)', () => {
    fc.assert(
      fc.property(hostileEvent, hostileString, (event, version) => {
        const line = formatCef(event, { product: 'Panel', version });
        assert.doesNotMatch(line, /[\r\n]/);
        const { header, extensions } = decodeCef(line);
        const oneLine = (text: string): string => text.replace(/[\r\n]/g, ' ');
        assert.deepEqual(header, [
          'CEF:0',
          'Palisade',
          'Panel',
          oneLine(version),
          oneLine(event.type),
          header[5],
          String(event.severity),
        ]);
        assert.equal(extensions.externalId, event.id);
        assert.equal(extensions.deviceExternalId, event.deviceId ?? undefined);
        assert.equal(extensions.msg, event.message);
        for (const [key, value] of Object.entries(event.fields)) {
          assert.equal(extensions[cefFieldKey(key)], String(value));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('CEF escaping (CEF rev 25, "Character encoding")', () => {
  const header: [string, string][] = [
    ['plain', 'plain'],
    ['a|b', String.raw`a\|b`],
    [String.raw`a\b`, String.raw`a\\b`],
    [String.raw`\|`, String.raw`\\\|`],
    ['a=b', 'a=b'],
    ['line\nbreak\r', 'line break '],
  ];
  for (const [raw, escaped] of header) {
    it(`header: ${JSON.stringify(raw)} → ${JSON.stringify(escaped)}`, () =>
      assert.equal(escapeCefHeader(raw), escaped));
  }
  const extension: [string, string][] = [
    ['a=b', String.raw`a\=b`],
    [String.raw`a\b`, String.raw`a\\b`],
    [String.raw`\=`, String.raw`\\\=`],
    ['a|b', 'a|b'],
    ['one\ntwo', String.raw`one\ntwo`],
    ['one\r\ntwo', String.raw`one\r\ntwo`],
    [String.raw`literal \n`, String.raw`literal \\n`],
  ];
  for (const [raw, escaped] of extension) {
    it(`extension: ${JSON.stringify(raw)} → ${JSON.stringify(escaped)}`, () =>
      assert.equal(escapeCefExtension(raw), escaped));
  }
});
