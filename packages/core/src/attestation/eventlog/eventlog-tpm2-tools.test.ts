/**
 * The parser and the replay checked by an independent implementation:
 * `tpm2_eventlog` (tpm2-tools) prints every event of a log as YAML, with its
 * PCR, type and digests, then the PCR values the log implies per bank.
 */
import assert from 'node:assert/strict';
// biome-ignore lint/style/noRestrictedImports: the test runs tpm2_eventlog, an independent parser
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { EventLogError } from './event-log.ts';
import { FIXTURE_DIR, FIXTURE_NAMES, MALFORMED_FIXTURE, readFixture } from './eventlog-fixtures.ts';
import { parseEventLog } from './parse-event-log.ts';
import { replayEventLog } from './replay-event-log.ts';

const run = promisify(execFile);

/** Skip without the tool, except under PALISADE_TEST_STRICT=1 (CI), where its absence fails the test. */
function skipUnlessTpm2Eventlog(): string | false {
  if (spawnSync('tpm2_eventlog', ['--version'], { stdio: 'ignore', timeout: 10_000 }).error === undefined) {
    return false;
  }
  return process.env.PALISADE_TEST_STRICT === '1'
    ? false
    : 'tpm2_eventlog is not installed (apt-get install tpm2-tools)';
}

interface PrintedEvent {
  readonly pcr: number;
  readonly type: string;
  readonly digests: Record<string, string>;
  readonly raw: Record<string, unknown>;
}

interface PrintedLog {
  readonly events: PrintedEvent[];
  readonly pcrs: Map<string, Map<number, string>>;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * tpm2-tools 5.4 prints the events of a SHA-1 format log without the `- `
 * that makes each one a YAML list item (the crypto-agile output has
 * `- EventNum: N` there); put it back so the document parses.
 */
function repairSha1Listing(yaml: string): string {
  const lines = yaml.split('\n');
  return lines
    .map((line, i) =>
      line.startsWith('  PCRIndex:') && !(lines[i - 1] ?? '').startsWith('- EventNum:')
        ? `- ${line.slice(2)}`
        : line,
    )
    .join('\n');
}

async function tpm2Eventlog(name: string): Promise<PrintedLog> {
  const { stdout } = await run('tpm2_eventlog', [join(FIXTURE_DIR, name)], { maxBuffer: 64 * 1024 * 1024 });
  // Failsafe schema: every scalar stays a string (the PCR values `0x…` would otherwise become lossy numbers).
  const document = record(parse(repairSha1Listing(stdout), { schema: 'failsafe' }));
  const events = list(document.events).map((item): PrintedEvent => {
    const event = record(item);
    const digests: Record<string, string> = {};
    // The Spec ID header of a crypto-agile log is printed as a SHA-1 format record: one `Digest`.
    if (typeof event.Digest === 'string') digests.sha1 = event.Digest;
    for (const digest of list(event.Digests).map(record))
      digests[String(digest.AlgorithmId)] = String(digest.Digest);
    return { pcr: Number(event.PCRIndex), type: String(event.EventType), digests, raw: event };
  });
  const pcrs = new Map(
    Object.entries(record(document.pcrs)).map(([bank, values]) => [
      bank,
      new Map(
        Object.entries(record(values)).map(([pcr, value]) => [
          Number(pcr),
          String(value).toLowerCase().replace(/^0x/, ''),
        ]),
      ),
    ]),
  );
  return { events, pcrs };
}

describe('parseEventLog and replayEventLog agree with tpm2_eventlog', {
  skip: skipUnlessTpm2Eventlog(),
}, () => {
  for (const name of FIXTURE_NAMES.filter((fixture) => fixture !== MALFORMED_FIXTURE)) {
    it(`${name}: same events, digests and final PCRs`, async () => {
      const printed = await tpm2Eventlog(name);
      const log = parseEventLog(readFixture(name));
      assert.ok(printed.events.length > 0, 'tpm2_eventlog printed no events');
      assert.equal(log.events.length, printed.events.length, 'number of events');
      for (const [i, event] of log.events.entries()) {
        const theirs = printed.events[i];
        assert.deepEqual(
          { pcr: event.pcr, type: event.typeName, digests: event.digests },
          { pcr: theirs?.pcr, type: theirs?.type, digests: theirs?.digests },
          `event ${i}`,
        );
      }
      const replayed = replayEventLog(log);
      const nonEmpty = [...replayed].filter(([, pcrs]) => pcrs.size > 0);
      assert.ok(printed.pcrs.size > 0, 'tpm2_eventlog printed no PCRs');
      assert.deepEqual(new Map(nonEmpty), printed.pcrs, 'final PCR values');
    });
  }

  it(`${MALFORMED_FIXTURE}: refused, where tpm2_eventlog reads the vendorInfo past the event's eventSize`, async () => {
    assert.throws(
      () => parseEventLog(readFixture(MALFORMED_FIXTURE)),
      (error: unknown) =>
        error instanceof EventLogError &&
        error.code === 'EVENT_LOG_MALFORMED' &&
        error.eventIndex === 0 &&
        /vendorInfo needs 4 bytes, 0 left/.test(error.message),
    );
    const header = (await tpm2Eventlog(MALFORMED_FIXTURE)).events[0]?.raw;
    // 37 bytes end right after vendorInfoSize (16 + 4 + 4 + 4 + 2 × 4 + 1): the 4 vendor bytes lie outside the event.
    assert.equal(header?.EventSize, '37');
    assert.equal(record(list(header?.SpecID)[0]).vendorInfoSize, '4');
  });
});
