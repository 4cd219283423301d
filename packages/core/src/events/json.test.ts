import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hostileEvent, PARSE_NOW, validEventInput } from './event-arbitraries.ts';
import { FIM_EVENT } from './event-fixtures.ts';
import { formatEventJson } from './json.ts';
import { parseSecurityEvent } from './parse-security-event.ts';

describe('formatEventJson', () => {
  it('writes RFC 8785 canonical JSON of exactly the event members', () => {
    assert.equal(
      formatEventJson({ ...FIM_EVENT, extra: 'not exported' } as typeof FIM_EVENT),
      '{"controls":["MO-1","SB-3"],"deviceId":"gw-berlin-07","fields":{"actualSha256":"cd34","expectedSha256":"ab12",' +
        '"explainedByUpdate":false,"path":"/etc/ssh/sshd_config"},"id":"0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d",' +
        '"message":"Protected file /etc/ssh/sshd_config modified","occurredAt":"2026-03-01T12:00:00.000Z",' +
        '"receivedAt":"2026-03-01T12:00:01.250Z","severity":7,"source":"device","type":"fim.modified"}',
    );
  });

  it('drops hostile keys and non-finite numbers of an unparsed event instead of throwing', () => {
    const text = formatEventJson({
      ...FIM_EVENT,
      fields: { ok: 1, 'bad key': 2, inf: Number.POSITIVE_INFINITY },
    });
    assert.deepEqual(JSON.parse(text).fields, { ok: 1 });
  });

  it('is one line for any event (property)', () => {
    fc.assert(fc.property(hostileEvent, (event) => assert.doesNotMatch(formatEventJson(event), /[\r\n]/)));
  });

  it('parses back to the same event (property)', () => {
    fc.assert(
      fc.property(validEventInput, (input) => {
        const options = { now: PARSE_NOW, acceptReceivedAt: true };
        const event = parseSecurityEvent(input, options);
        assert.deepEqual(parseSecurityEvent(JSON.parse(formatEventJson(event)), options), event);
      }),
      { numRuns: 300 },
    );
  });
});
