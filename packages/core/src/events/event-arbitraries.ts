/**
 * Test-only fast-check generators for events: `hostileEvent` puts arbitrary
 * Unicode plus every character the formats treat specially into every string
 * member (formatters must stay safe even for events that never went through
 * the parser); `validEventInput` generates what parseSecurityEvent accepts.
 */
import fc from 'fast-check';
import { CONTROL_IDS } from './control-ids.ts';
import type { EventFieldValue, SecurityEvent } from './security-event.ts';

const SPECIALS = ['\n', '\r', '\r\n', '=', '\\', '|', '"', ']', '[', ' ', '<13>1 ', 'a', '€', '😀', '\u2028'];

/** Any well-formed string, biased towards CEF / RFC 5424 metacharacters. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.array(fc.constantFrom(...SPECIALS), { maxLength: 12 }).map((parts) => parts.join('')),
);

/** What the parser accepts in message and string fields: no C0/C1 controls other than TAB, LF and CR. */
export const allowedText = hostileString.map((text) =>
  [...text]
    .filter((char) => {
      const c = char.codePointAt(0) ?? 0;
      return !((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f));
    })
    .join(''),
);

export const fieldKey = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,31}$/);
const instant = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const controls = fc.subarray([...CONTROL_IDS], { maxLength: 4 });

function fieldsOf(text: fc.Arbitrary<string>): fc.Arbitrary<Record<string, EventFieldValue>> {
  return fc.dictionary(
    fieldKey,
    fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
    {
      maxKeys: 6,
    },
  );
}

export const hostileEvent: fc.Arbitrary<SecurityEvent> = fc.record({
  id: hostileString,
  source: fc.constantFrom('device' as const, 'panel' as const),
  deviceId: fc.option(hostileString, { nil: null }),
  type: hostileString,
  severity: fc.integer({ min: 0, max: 10 }),
  controls,
  message: hostileString,
  occurredAt: instant,
  receivedAt: instant,
  fields: fieldsOf(hostileString),
});

/** Inputs parseSecurityEvent({ now: PARSE_NOW, acceptReceivedAt: true }) must accept. */
export const validEventInput = fc.record({
  id: fc.uuid({ version: 7 }),
  source: fc.constant('device' as const),
  deviceId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/),
  type: fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}(?:\.[a-z][a-z0-9_-]{0,10}){0,2}$/),
  severity: fc.integer({ min: 0, max: 10 }),
  controls,
  message: allowedText.filter((text) => text.length > 0),
  occurredAt: instant,
  receivedAt: instant,
  fields: fieldsOf(allowedText),
});
export const PARSE_NOW = new Date(Date.UTC(2030, 0, 1));
