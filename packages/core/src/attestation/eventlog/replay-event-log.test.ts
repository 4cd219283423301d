import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { compareWithQuotedPcrs } from './compare-quoted-pcrs.ts';
import { EventLogError } from './event-log.ts';
import { TCG_EVENT_TYPES as EV } from './event-types.ts';
import { parseEventLog } from './parse-event-log.ts';
import { replayEventLog } from './replay-event-log.ts';
import {
  ALG_SHA1,
  ALG_SHA256,
  agileLog,
  agileRecord,
  ascii,
  concat,
  digestOf,
  measuredRecord,
} from './test-log-bytes.ts';

const SEPARATOR = new Uint8Array(4);
const startupLocality = (locality: number) =>
  agileRecord(
    0,
    EV.EV_NO_ACTION,
    [
      [ALG_SHA1, new Uint8Array(20)],
      [ALG_SHA256, new Uint8Array(32)],
    ],
    concat(ascii('StartupLocality\0'), Uint8Array.of(locality)),
  );

/** The extend chain computed here, independently of the code under test. */
function chain(hash: 'sha1' | 'sha256', initial: Buffer, ...measured: Uint8Array[]): string {
  let pcr = initial;
  for (const data of measured) {
    pcr = createHash(hash).update(pcr).update(createHash(hash).update(data).digest()).digest();
  }
  return pcr.toString('hex');
}
const zeros = (size: number) => Buffer.alloc(size);
const locality = (size: number, value: number) => Buffer.concat([Buffer.alloc(size - 1), Buffer.of(value)]);

function replayRefusal(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => replayEventLog(parseEventLog(bytes)),
    (error: unknown) =>
      error instanceof EventLogError && error.code === 'EVENT_LOG_MALFORMED' && pattern.test(error.message),
  );
}

describe('replayEventLog', () => {
  it('extends each PCR of each bank with the event digests, skipping EV_NO_ACTION', () => {
    const a = ascii('grub_cmd: a');
    const b = ascii('grub_cmd: b');
    const replayed = replayEventLog(
      parseEventLog(
        agileLog(
          measuredRecord(8, EV.EV_IPL, a),
          measuredRecord(7, EV.EV_SEPARATOR, SEPARATOR),
          measuredRecord(0, EV.EV_NO_ACTION, ascii('NvIndexInstance\0')),
          measuredRecord(8, EV.EV_IPL, b),
        ),
      ),
    );
    assert.deepEqual([...replayed.keys()], ['sha1', 'sha256']);
    assert.deepEqual(
      replayed.get('sha256'),
      new Map([
        [7, chain('sha256', zeros(32), SEPARATOR)],
        [8, chain('sha256', zeros(32), a, b)],
      ]),
    );
    assert.equal(replayed.get('sha1')?.get(8), chain('sha1', zeros(20), a, b));
  });

  it('starts PCR 0 at the StartupLocality value in every bank (PFP §10.4.5.3)', () => {
    const crtm = ascii('CRTM');
    const replayed = replayEventLog(parseEventLog(agileLog(startupLocality(3), measuredRecord(0, 8, crtm))));
    assert.equal(replayed.get('sha256')?.get(0), chain('sha256', locality(32, 3), crtm));
    assert.equal(replayed.get('sha1')?.get(0), chain('sha1', locality(20, 3), crtm));
    const unextended = replayEventLog(parseEventLog(agileLog(startupLocality(0))));
    assert.equal(unextended.get('sha256')?.get(0), '00'.repeat(32));
    assert.equal(
      replayEventLog(parseEventLog(agileLog(startupLocality(4))))
        .get('sha1')
        ?.get(0),
      `${'00'.repeat(19)}04`,
    );
  });

  it('starts PCR 0 at 4 for an H-CRTM event, agreeing with a StartupLocality 4', () => {
    const hcrtm = ascii('HCRTM');
    const expected = chain('sha256', locality(32, 4), hcrtm);
    const alone = replayEventLog(parseEventLog(agileLog(measuredRecord(0, EV.EV_EFI_HCRTM_EVENT, hcrtm))));
    assert.equal(alone.get('sha256')?.get(0), expected);
    const both = agileLog(
      startupLocality(4),
      measuredRecord(0, EV.EV_EFI_HCRTM_EVENT, hcrtm),
      startupLocality(4),
    );
    assert.equal(replayEventLog(parseEventLog(both)).get('sha256')?.get(0), expected);
  });

  it('refuses a startup locality that is misplaced, contradicted or impossible', () => {
    replayRefusal(
      agileLog(measuredRecord(0, 8, ascii('v')), startupLocality(3)),
      /extended before its startup/,
    );
    replayRefusal(agileLog(startupLocality(3), startupLocality(0)), /locality 0 contradicts the earlier 3/);
    replayRefusal(
      agileLog(startupLocality(3), measuredRecord(0, EV.EV_EFI_HCRTM_EVENT, ascii('HCRTM'))),
      /locality 4 contradicts the earlier 3/,
    );
    replayRefusal(agileLog(startupLocality(2)), /StartupLocality 2 is not 0, 3 or 4/);
  });

  it('refuses an extend of a PCR a PC Client TPM does not have', () => {
    replayRefusal(agileLog(measuredRecord(24, EV.EV_IPL, ascii('x'))), /extends PCR 24/);
  });

  it('leaves out a bank an extending event has no digest for', () => {
    const sha256Only = agileRecord(8, EV.EV_IPL, [[ALG_SHA256, digestOf(ALG_SHA256, SEPARATOR)]], SEPARATOR);
    const replayed = replayEventLog(parseEventLog(agileLog(measuredRecord(7, 4, SEPARATOR), sha256Only)));
    assert.deepEqual([...replayed.keys()], ['sha256']);
  });
});

describe('compareWithQuotedPcrs', () => {
  const a = ascii('a');
  const replayed = replayEventLog(
    parseEventLog(agileLog(measuredRecord(0, 8, a), measuredRecord(7, EV.EV_SEPARATOR, SEPARATOR))),
  );
  const pcr0 = chain('sha256', zeros(32), a);
  const pcr7 = chain('sha256', zeros(32), SEPARATOR);

  it('finds nothing when the quote shows what the log implies, untouched PCRs at their reset value', () => {
    assert.deepEqual(
      compareWithQuotedPcrs(replayed, {
        bank: 'sha256',
        pcrs: { 0: `0x${pcr0.toUpperCase()}`, 7: pcr7, 10: '00'.repeat(32), 17: 'ff'.repeat(32) },
      }),
      [],
    );
  });

  it('lists each differing PCR with both values, by PCR index', () => {
    assert.deepEqual(
      compareWithQuotedPcrs(replayed, {
        bank: 'sha256',
        pcrs: { 7: pcr0, 0: pcr0, 17: '00'.repeat(32) },
      }),
      [
        { bank: 'sha256', pcr: 7, quoted: pcr0, replayed: pcr7 },
        { bank: 'sha256', pcr: 17, quoted: '00'.repeat(32), replayed: 'ff'.repeat(32) },
      ],
    );
  });

  it('matches nothing in a bank the log does not replay', () => {
    assert.deepEqual(compareWithQuotedPcrs(replayed, { bank: 'sha384', pcrs: { 0: '00'.repeat(48) } }), [
      { bank: 'sha384', pcr: 0, quoted: '00'.repeat(48), replayed: undefined },
    ]);
  });
});
