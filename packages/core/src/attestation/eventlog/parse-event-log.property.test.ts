/**
 * Untrusted bytes: whatever the log holds, parsing (and replaying what
 * parsed) either succeeds or throws an EventLogError, quickly, and reads
 * nothing outside the bytes it was given.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { EventLog } from './event-log.ts';
import { EventLogError } from './event-log.ts';
import { FIXTURE_NAMES, readFixture } from './eventlog-fixtures.ts';
import { parseEventLog } from './parse-event-log.ts';
import { replayEventLog } from './replay-event-log.ts';
import { concat, specIdRecord, u32 } from './test-log-bytes.ts';

/** The largest fixture parses in about a millisecond; this leaves room for a loaded CI machine. */
const MAX_PARSE_MS = 250;

const FIXTURES = FIXTURE_NAMES.map(readFixture);

/**
 * Parses `bytes` as a window on a larger buffer whose other bytes are
 * random: a read past either end would see them, and the result would
 * differ from parsing an exact copy.
 */
function parseInWindow(bytes: Uint8Array, padding: Uint8Array): EventLog | EventLogError {
  const buffer = new Uint8Array(bytes.length + 2 * padding.length);
  buffer.set(padding, 0);
  buffer.set(bytes, padding.length);
  buffer.set(padding, padding.length + bytes.length);
  const window = buffer.subarray(padding.length, padding.length + bytes.length);
  const started = performance.now();
  const result = parseOrRefuse(window);
  assert.ok(performance.now() - started < MAX_PARSE_MS, `parse took ${performance.now() - started} ms`);
  const exact = parseOrRefuse(bytes.slice());
  assert.deepEqual(
    result instanceof EventLogError ? result.message : result,
    exact instanceof EventLogError ? exact.message : exact,
  );
  return result;
}

/** The parsed log, or the EventLogError; any other exception fails the property. */
function parseOrRefuse(bytes: Uint8Array): EventLog | EventLogError {
  try {
    const log = parseEventLog(bytes);
    try {
      replayEventLog(log);
    } catch (error) {
      if (!(error instanceof EventLogError)) throw error;
    }
    return log;
  } catch (error) {
    if (error instanceof EventLogError) return error;
    throw error;
  }
}

const padding = fc.uint8Array({ minLength: 1, maxLength: 64 });
const fixture = fc.constantFrom(...FIXTURES);

describe('parseEventLog on hostile bytes', () => {
  it('parses or refuses random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), padding, (bytes, pad) => {
        parseInWindow(bytes, pad);
      }),
      { numRuns: 500 },
    );
  });

  it('parses or refuses random records after a valid Spec ID header', () => {
    // Random bytes alone rarely get past the header; this drives the TCG_PCR_EVENT2 reader.
    const record = fc
      .tuple(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ maxLength: 120 }),
      )
      .map(([pcr, count, rest]) => concat(u32(pcr), u32(4), u32(count), rest));
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), padding, (records, pad) => {
        parseInWindow(concat(specIdRecord(), ...records), pad);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a truncated real log as its first records, or refuses it as truncated', () => {
    const valid = FIXTURES.flatMap((bytes) => {
      const log = parseOrRefuse(bytes);
      return log instanceof EventLogError ? [] : [{ bytes, log }];
    });
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(), padding, ({ bytes, log }, cut, pad) => {
        const length = 1 + (cut % (bytes.length - 1));
        const result = parseInWindow(bytes.subarray(0, length), pad);
        if (result instanceof EventLogError) {
          assert.equal(result.code, 'EVENT_LOG_TRUNCATED', result.message);
          assert.ok(result.offset !== undefined && result.offset <= length, result.message);
        } else {
          // A cut between two records is a shorter, valid log.
          assert.deepEqual(result.events, log.events.slice(0, result.events.length));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parses or refuses real logs with flipped bits', () => {
    fc.assert(
      fc.property(
        fixture,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }),
        padding,
        (log, flips, pad) => {
          const bytes = log.slice();
          for (const [position, bit] of flips) {
            const at = position % bytes.length;
            bytes[at] = (bytes[at] ?? 0) ^ (1 << bit);
          }
          parseInWindow(bytes, pad);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses every real log but one unchanged', () => {
    const refused = FIXTURES.map(parseOrRefuse).filter((result) => result instanceof EventLogError);
    assert.equal(refused.length, 1);
  });
});
