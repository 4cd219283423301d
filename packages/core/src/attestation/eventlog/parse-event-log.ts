import { ByteReader } from './byte-reader.ts';
import { decodeEventData } from './decode-event-data.ts';
import type { DecodedEventData, EventDigests, EventLog, EventLogAlgorithm, TcgEvent } from './event-log.ts';
import { EVENT_LOG_LIMITS, EventLogError } from './event-log.ts';
import { toHex } from './event-text.ts';
import { eventTypeName, TCG_EVENT_TYPES } from './event-types.ts';
import type { AlgorithmName } from './hash-algorithms.ts';
import { TPM_ALG_SHA1 } from './hash-algorithms.ts';
import { isSpecIdEvent03, parseSpecIdEvent } from './spec-id-event.ts';

const SHA1_ONLY: readonly EventLogAlgorithm[] = [{ algId: TPM_ALG_SHA1, name: 'sha1', digestSize: 20 }];

/** One record before it becomes a TcgEvent: the event field and where it starts in the log. */
interface RawEvent {
  readonly pcr: number;
  readonly type: number;
  readonly digests: EventDigests;
  readonly eventData: Uint8Array;
  readonly dataOffset: number;
}

/**
 * Parses a binary TCG PC Client event log, either format:
 *
 * - SHA-1: TCG_PCClientPCREvent records only (PFP §10.2.1);
 * - crypto-agile: a first TCG_PCClientPCREvent, EV_NO_ACTION, carrying the
 *   Spec ID Event03 (PFP §10.4.5.1), then TCG_PCR_EVENT2 records (PFP §10.2.2)
 *   whose TPML_DIGEST_VALUES are framed by the digest sizes it declares.
 *
 * Every length is checked against what is left of the log and against
 * EVENT_LOG_LIMITS before it is used, and each record consumes at least its
 * fixed header, so the parse ends after at most log length / 16 records.
 *
 * @throws EventLogError EVENT_LOG_MALFORMED, EVENT_LOG_TRUNCATED or
 *   EVENT_LOG_TOO_LARGE, naming the byte offset and the event index.
 */
export function parseEventLog(bytes: Uint8Array): EventLog {
  if (bytes.length > EVENT_LOG_LIMITS.maxLogBytes) {
    throw new EventLogError(
      'EVENT_LOG_TOO_LARGE',
      `the log is ${bytes.length} bytes, limit ${EVENT_LOG_LIMITS.maxLogBytes}`,
    );
  }
  if (bytes.length === 0) throw new EventLogError('EVENT_LOG_MALFORMED', 'the log is empty', { offset: 0 });
  const reader = new ByteReader(bytes, { eventIndex: 0 });
  const first = readSha1Event(reader);
  if (first.type === TCG_EVENT_TYPES.EV_NO_ACTION && isSpecIdEvent03(first.eventData)) {
    // PFP §10.4.5.1: the Spec ID event is logged to PCR 0 with an all-zero SHA-1 digest.
    if (first.pcr !== 0 || first.digests.sha1 !== '0'.repeat(40)) {
      throw new EventLogError('EVENT_LOG_MALFORMED', 'the Spec ID event must have PCR 0 and a zero digest', {
        offset: 0,
        eventIndex: 0,
      });
    }
    const specId = parseSpecIdEvent(first.eventData, first.dataOffset);
    const events = [toEvent(0, first, specId)];
    readRemaining(reader, events, () => readAgileEvent(reader, specId.algorithms));
    return { format: 'crypto-agile', algorithms: specId.algorithms, events };
  }
  const events = [toEvent(0, first, decodeEventData(first.type, first.eventData, first.dataOffset))];
  readRemaining(reader, events, () => readSha1Event(reader));
  return { format: 'sha1', algorithms: SHA1_ONLY, events };
}

function readRemaining(reader: ByteReader, events: TcgEvent[], read: () => RawEvent): void {
  while (reader.remaining > 0) {
    const index = events.length;
    reader.eventIndex = index;
    if (index >= EVENT_LOG_LIMITS.maxEvents) {
      reader.fail('EVENT_LOG_TOO_LARGE', `the log has more than ${EVENT_LOG_LIMITS.maxEvents} events`);
    }
    const raw = read();
    events.push(toEvent(index, raw, decodeEventData(raw.type, raw.eventData, raw.dataOffset)));
  }
}

function toEvent(index: number, raw: RawEvent, decoded: DecodedEventData | undefined): TcgEvent {
  const event = {
    index,
    pcr: raw.pcr,
    type: raw.type,
    typeName: eventTypeName(raw.type),
    digests: raw.digests,
    eventData: raw.eventData,
  };
  return decoded === undefined ? event : { ...event, decoded };
}

/** PFP §10.2.1 TCG_PCClientPCREvent: pcrIndex, eventType, digest[20], eventDataSize, event. */
function readSha1Event(reader: ByteReader): RawEvent {
  const pcr = reader.u32('pcrIndex');
  const type = reader.u32('eventType');
  const digests = { sha1: toHex(reader.bytes(20, 'digest')) };
  return { pcr, type, digests, ...readEventField(reader) };
}

/** PFP §10.2.2 TCG_PCR_EVENT2: pcrIndex, eventType, TPML_DIGEST_VALUES, eventSize, event. */
function readAgileEvent(reader: ByteReader, algorithms: readonly EventLogAlgorithm[]): RawEvent {
  const pcr = reader.u32('pcrIndex');
  const type = reader.u32('eventType');
  const countAt = reader.offset;
  const count = reader.u32('digests.count');
  if (count > EVENT_LOG_LIMITS.maxDigestCount) {
    reader.fail('EVENT_LOG_TOO_LARGE', `${count} digests, limit ${EVENT_LOG_LIMITS.maxDigestCount}`, countAt);
  }
  // PFP §10.1 wants a digest for every algorithm of the Spec ID event in every record, but
  // firmware (and tpm2-tools' own test logs) may carry fewer; such a bank is not replayed.
  // More digests than algorithms can only be a duplicate.
  if (count > algorithms.length) {
    reader.fail(
      'EVENT_LOG_MALFORMED',
      `${count} digests, the Spec ID event lists ${algorithms.length}`,
      countAt,
    );
  }
  const digests: Partial<Record<AlgorithmName, string>> = {};
  for (let i = 0; i < count; i += 1) {
    const at = reader.offset;
    const algId = reader.u16('digests.hashAlg');
    const algorithm = algorithms.find((candidate) => candidate.algId === algId);
    if (algorithm === undefined) {
      reader.fail(
        'EVENT_LOG_MALFORMED',
        `a digest of algorithm 0x${algId.toString(16)}, not in the Spec ID event`,
        at,
      );
    }
    if (digests[algorithm.name] !== undefined) {
      reader.fail('EVENT_LOG_MALFORMED', `two ${algorithm.name} digests`, at);
    }
    digests[algorithm.name] = toHex(reader.bytes(algorithm.digestSize, `${algorithm.name} digest`));
  }
  return { pcr, type, digests, ...readEventField(reader) };
}

function readEventField(reader: ByteReader): { eventData: Uint8Array; dataOffset: number } {
  const sizeAt = reader.offset;
  const size = reader.u32('eventSize');
  if (size > EVENT_LOG_LIMITS.maxEventDataBytes) {
    reader.fail(
      'EVENT_LOG_TOO_LARGE',
      `event data of ${size} bytes, limit ${EVENT_LOG_LIMITS.maxEventDataBytes}`,
      sizeAt,
    );
  }
  const dataOffset = reader.offset;
  return { eventData: reader.bytes(size, 'event data'), dataOffset };
}
