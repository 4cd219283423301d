import { ByteReader } from './byte-reader.ts';
import type { DecodedEventData, EventLogAlgorithm } from './event-log.ts';
import { EVENT_LOG_LIMITS } from './event-log.ts';
import { algorithmName, knownDigestSize, MAX_DIGEST_SIZE } from './hash-algorithms.ts';

/** PFP §10.4.5.1: the signature that makes a log crypto-agile, NUL included. */
const SPEC_ID_EVENT03 = 'Spec ID Event03\0';
const SIGNATURE_BYTES = 16;

/** Whether an EV_NO_ACTION event's data claims to be the crypto-agile Spec ID event. */
export function isSpecIdEvent03(eventData: Uint8Array): boolean {
  if (eventData.length < SIGNATURE_BYTES) return false;
  for (let i = 0; i < SIGNATURE_BYTES; i += 1) {
    if (eventData[i] !== SPEC_ID_EVENT03.charCodeAt(i)) return false;
  }
  return true;
}

export type SpecIdEvent = Extract<DecodedEventData, { kind: 'spec-id' }>;

/**
 * Parses TCG_EfiSpecIDEventStruct (PFP §10.4.5.1), which lists the digest
 * algorithms, and their sizes, of every TCG_PCR_EVENT2 that follows. The
 * sizes are how the rest of the log is framed, so they are checked against
 * the TCG Algorithm Registry wherever it knows the algorithm: a header that
 * lied about SHA-256 being 20 bytes would misframe every event after it.
 *
 * `base` is the offset of the event data in the log, for error messages.
 */
export function parseSpecIdEvent(eventData: Uint8Array, base: number): SpecIdEvent {
  // The structure must fit in the eventSize that frames it.
  const reader = new ByteReader(eventData, { base, eventIndex: 0, shortRead: 'EVENT_LOG_MALFORMED' });
  reader.bytes(SIGNATURE_BYTES, 'signature');
  const platformClass = reader.u32('platformClass');
  const specVersionMinor = reader.u8('specVersionMinor');
  const specVersionMajor = reader.u8('specVersionMajor');
  const specErrata = reader.u8('specErrata');
  const uintnSize = reader.u8('uintnSize');
  const countAt = reader.offset;
  const count = reader.u32('numberOfAlgorithms');
  // PFP §10.4.5.1: "This field MUST be set to a value of 0x01 or greater."
  if (count === 0) reader.fail('EVENT_LOG_MALFORMED', 'the Spec ID event lists no algorithm', countAt);
  if (count > EVENT_LOG_LIMITS.maxDigestCount) {
    reader.fail(
      'EVENT_LOG_TOO_LARGE',
      `the Spec ID event lists ${count} algorithms, limit ${EVENT_LOG_LIMITS.maxDigestCount}`,
      countAt,
    );
  }
  const algorithms: EventLogAlgorithm[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = reader.offset;
    const algId = reader.u16('algorithmId');
    const digestSize = reader.u16('digestSize');
    const expected = knownDigestSize(algId);
    const name = algorithmName(algId);
    if (algorithms.some((algorithm) => algorithm.algId === algId)) {
      reader.fail('EVENT_LOG_MALFORMED', `the Spec ID event lists ${name} twice`, at);
    }
    if (expected === undefined ? digestSize === 0 || digestSize > MAX_DIGEST_SIZE : digestSize !== expected) {
      reader.fail('EVENT_LOG_MALFORMED', `the Spec ID event gives ${name} a ${digestSize}-byte digest`, at);
    }
    algorithms.push({ algId, name, digestSize });
  }
  const vendorInfoSize = reader.u8('vendorInfoSize');
  reader.bytes(vendorInfoSize, 'vendorInfo');
  return {
    kind: 'spec-id',
    signature: SPEC_ID_EVENT03.slice(0, -1),
    platformClass,
    specVersion: `${specVersionMajor}.${specVersionMinor}`,
    specErrata,
    uintnSize,
    algorithms,
    vendorInfoSize,
  };
}
