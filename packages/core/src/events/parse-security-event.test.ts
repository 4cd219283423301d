import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatCef } from './cef.ts';
import { PARSE_NOW, validEventInput } from './event-arbitraries.ts';
import { FORGED_LINE } from './event-fixtures.ts';
import type { ParseEventOptions } from './parse-security-event.ts';
import { parseSecurityEvent } from './parse-security-event.ts';
import { EventError } from './security-event.ts';
import { formatSyslog5424 } from './syslog.ts';

const NOW = new Date('2026-03-01T12:00:05.000Z');
const DEVICE: ParseEventOptions = { now: NOW, origin: { source: 'device', deviceId: 'gw-berlin-07' } };
const RECORD = {
  id: '0190B6F2-8C3E-7A41-9D2B-5F0E4C3A2B1D',
  type: 'fim.modified',
  occurredAt: '2026-03-01T13:00:00+01:00',
  fields: { path: '/etc/passwd' },
};

/** The JSON pointers of an EventError, or a failure if something else was thrown. */
function problemPaths(input: unknown, options: ParseEventOptions = DEVICE, code = 'EVENT_INVALID'): string[] {
  try {
    parseSecurityEvent(input, options);
  } catch (error) {
    assert.ok(error instanceof EventError, String(error));
    assert.equal(error.code, code);
    return error.problems.map((p) => p.path);
  }
  assert.fail('expected an EventError');
}

describe('parseSecurityEvent', () => {
  it('parses a device record, normalizing id and time and filling catalogue defaults', () => {
    assert.deepEqual(parseSecurityEvent(RECORD, DEVICE), {
      id: '0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d',
      source: 'device',
      deviceId: 'gw-berlin-07',
      type: 'fim.modified',
      severity: 7,
      controls: ['MO-1', 'SB-3'],
      message: 'Protected file modified',
      occurredAt: '2026-03-01T12:00:00.000Z',
      receivedAt: '2026-03-01T12:00:05.000Z',
      fields: { path: '/etc/passwd' },
    });
  });

  it("accepts the agents' existing kinds and any well-formed uncatalogued type", () => {
    for (const type of [
      'auth.login-failed',
      'inventory',
      'identity.renewal-failed',
      'acme.plc.mode_changed',
    ]) {
      const event = parseSecurityEvent({ ...RECORD, type, severity: 4, fields: {} }, DEVICE);
      assert.equal(event.type, type);
    }
    assert.equal(
      parseSecurityEvent({ ...RECORD, id: '01jnkq8z6y3w2v1t0s9r8q7p6n' }, DEVICE).id,
      '01JNKQ8Z6Y3W2V1T0S9R8Q7P6N',
    );
  });

  it('rejects malformed types', () => {
    for (const type of [
      'FIM.modified',
      'fim..modified',
      '.fim',
      'fim.',
      'fim modified',
      '9fim',
      `a${'.b'.repeat(32)}`,
      7,
    ]) {
      assert.deepEqual(problemPaths({ ...RECORD, type, severity: 4 }), ['/type'], String(type));
    }
  });

  it('names every failing member in one error', () => {
    const input = {
      id: 'not-an-id',
      type: 'fim.modified',
      severity: 11,
      controls: ['MO-1', 'XX-9', 'MO-1'],
      message: 42,
      occurredAt: '2026-02-30T00:00:00Z',
      receivedAt: '2026-03-01T00:00:00Z',
      fields: { path: 5, 'bad key': 'x', nested: { a: 1 }, 'a/b~c': 1 },
      extra: true,
    };
    assert.deepEqual(problemPaths(input), [
      '/extra',
      '/id',
      '/severity',
      '/controls/1',
      '/controls/2',
      '/message',
      '/occurredAt',
      '/receivedAt',
      '/fields/path',
      '/fields/bad key',
      '/fields/nested',
      '/fields/a~1b~0c',
    ]);
  });

  it('normalizes RFC 3339 offsets to UTC and rejects impossible dates', () => {
    const at = (occurredAt: string): string =>
      parseSecurityEvent({ ...RECORD, occurredAt }, DEVICE).occurredAt;
    assert.equal(at('2026-03-01t06:30:00.123456-05:30'), '2026-03-01T12:00:00.123Z');
    assert.equal(at('2024-02-29T00:00:00Z'), '2024-02-29T00:00:00.000Z');
    for (const occurredAt of [
      '2026-02-29T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00',
      '1767225600000',
    ]) {
      assert.deepEqual(problemPaths({ ...RECORD, occurredAt }), ['/occurredAt'], occurredAt);
    }
  });

  it('rejects a timestamp more than 24 h ahead of the panel clock, with the reason', () => {
    const ahead = new Date(NOW.getTime() + 24 * 3_600_000 + 1).toISOString();
    assert.throws(
      () => parseSecurityEvent({ ...RECORD, occurredAt: ahead }, DEVICE),
      (error: unknown) =>
        error instanceof EventError &&
        /more than 24 h ahead of the panel clock/.test(error.problems[0]?.message ?? ''),
    );
    const justInside = new Date(NOW.getTime() + 24 * 3_600_000).toISOString();
    assert.equal(parseSecurityEvent({ ...RECORD, occurredAt: justInside }, DEVICE).occurredAt, justInside);
  });

  it('binds source and device to the authenticated origin', () => {
    assert.deepEqual(problemPaths({ ...RECORD, deviceId: 'gw-other' }), ['/deviceId']);
    assert.deepEqual(problemPaths({ ...RECORD, source: 'panel' }), ['/source']);
    const unbound = { now: NOW };
    assert.deepEqual(problemPaths({ ...RECORD, source: 'device' }, unbound), ['/deviceId']);
    assert.deepEqual(problemPaths({ ...RECORD, source: 'cloud', deviceId: '-x' }, unbound), [
      '/source',
      '/deviceId',
    ]);
    assert.equal(parseSecurityEvent({ ...RECORD, source: 'panel' }, unbound).deviceId, null);
  });

  it('requires severity for an uncatalogued type and lets a given message, severity and controls win', () => {
    assert.deepEqual(problemPaths({ ...RECORD, type: 'acme.thing' }), ['/severity']);
    const event = parseSecurityEvent({ ...RECORD, severity: 9, controls: ['SI-4'], message: 'm' }, DEVICE);
    assert.deepEqual([event.severity, event.controls, event.message], [9, ['SI-4'], 'm']);
  });

  it('enforces the limits on message, field count, string length and control count', () => {
    const fields = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}`, i]));
    assert.deepEqual(problemPaths({ ...RECORD, message: 'x'.repeat(2049) }), ['/message']);
    assert.deepEqual(problemPaths({ ...RECORD, message: '' }), ['/message']);
    assert.deepEqual(problemPaths({ ...RECORD, fields }), ['/fields']);
    assert.deepEqual(problemPaths({ ...RECORD, fields: { note: 'x'.repeat(1025) } }), ['/fields/note']);
    assert.deepEqual(problemPaths({ ...RECORD, fields: { ['k'.repeat(33)]: 1 } }), [
      `/fields/${'k'.repeat(33)}`,
    ]);
    assert.deepEqual(problemPaths({ ...RECORD, controls: Array(17).fill('MO-1') }), ['/controls']);
  });

  it('rejects an event over 16 KiB as EVENT_TOO_LARGE', () => {
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'x'.repeat(1000)]));
    assert.deepEqual(problemPaths({ ...RECORD, fields }, DEVICE, 'EVENT_TOO_LARGE'), []);
  });

  it('accepts newlines but not terminal controls or lone surrogates in text', () => {
    assert.equal(
      parseSecurityEvent({ ...RECORD, message: `a\n${FORGED_LINE}\tb` }, DEVICE).message,
      `a\n${FORGED_LINE}\tb`,
    );
    for (const message of ['\u001b[2J', 'nul\u0000', 'next-line\u0085', 'half \ud800']) {
      assert.deepEqual(problemPaths({ ...RECORD, message }), ['/message'], JSON.stringify(message));
    }
  });

  it('keeps receivedAt for the panel only', () => {
    assert.deepEqual(problemPaths({ ...RECORD, receivedAt: NOW.toISOString() }), ['/receivedAt']);
    assert.deepEqual(problemPaths(RECORD, { ...DEVICE, acceptReceivedAt: true }), ['/receivedAt']);
    const stored = parseSecurityEvent(
      { ...RECORD, receivedAt: '2026-03-01T11:00:00Z' },
      { ...DEVICE, acceptReceivedAt: true },
    );
    assert.equal(stored.receivedAt, '2026-03-01T11:00:00.000Z');
  });

  it('rejects what is not a JSON object, and hostile keys without echoing them whole', () => {
    for (const input of [null, [], 'event', 42, new Date()]) assert.deepEqual(problemPaths(input), ['']);
    const [path] = problemPaths({ ...RECORD, ['k'.repeat(10_000)]: 1 });
    assert.ok(path !== undefined && path.length < 80);
  });

  it('throws only EventError, whatever the input (property)', () => {
    const record = fc.record(
      {
        id: fc.oneof(fc.constant(RECORD.id), fc.anything()),
        type: fc.oneof(fc.constant(RECORD.type), fc.anything()),
        severity: fc.anything(),
        controls: fc.anything(),
        message: fc.anything(),
        occurredAt: fc.oneof(fc.constant(RECORD.occurredAt), fc.string()),
        fields: fc.oneof(fc.dictionary(fc.string(), fc.anything()), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), record), (input) => {
        try {
          parseSecurityEvent(input, DEVICE);
        } catch (error) {
          assert.ok(error instanceof EventError && error.problems.length <= 51);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every well-formed event and its exports stay one line (property)', () => {
    fc.assert(
      fc.property(validEventInput, (input) => {
        const event = parseSecurityEvent(input, { now: PARSE_NOW, acceptReceivedAt: true });
        assert.doesNotMatch(formatCef(event, { product: 'Panel', version: '1' }), /[\r\n]/);
        const line = formatSyslog5424(event, { hostname: 'h', appName: 'a', facility: 1, payload: 'json' });
        assert.doesNotMatch(line, /[\r\n]/);
      }),
      { numRuns: 300 },
    );
  });
});
