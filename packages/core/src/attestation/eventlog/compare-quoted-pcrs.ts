import type { AlgorithmName } from './hash-algorithms.ts';
import { digestSizeOf } from './hash-algorithms.ts';
import type { ReplayedPcrs } from './replay-event-log.ts';

/** PCR values from a verified quote: one bank, hex by PCR index (`0x` and upper case tolerated). */
export interface QuotedPcrs {
  readonly bank: string;
  readonly pcrs: Readonly<Record<number, string>>;
}

export interface PcrMismatch {
  readonly bank: string;
  readonly pcr: number;
  /** The quoted value, normalized to lower-case hex. */
  readonly quoted: string;
  /** What the log implies; undefined when the log has no such bank. */
  readonly replayed: string | undefined;
}

/** PC Client PTP: PCRs 17–22 belong to dynamic launch and read all ones until one happens. */
const DYNAMIC_PCRS = { first: 17, last: 22 } as const;

/**
 * The quoted PCRs whose value the replayed log does not reproduce, by PCR
 * index; empty when the log accounts for every one of them. A PCR the log
 * never extends is expected at its reset value (zero; all ones for 17–22),
 * so quote only the PCRs the log covers (firmware: 0–7) or every other PCR
 * must still be at reset. A bank the log lacks matches nothing.
 */
export function compareWithQuotedPcrs(replayed: ReplayedPcrs, quoted: QuotedPcrs): PcrMismatch[] {
  const bank = replayed.get(quoted.bank as AlgorithmName);
  const digestSize = digestSizeOf(quoted.bank);
  const mismatches: PcrMismatch[] = [];
  for (const [key, value] of Object.entries(quoted.pcrs)) {
    const pcr = Number(key);
    const normalized = value.toLowerCase().replace(/^0x/, '');
    const expected =
      bank === undefined
        ? undefined
        : (bank.get(pcr) ?? (digestSize === undefined ? undefined : resetValue(pcr, digestSize)));
    if (expected !== normalized)
      mismatches.push({ bank: quoted.bank, pcr, quoted: normalized, replayed: expected });
  }
  return mismatches.sort((a, b) => a.pcr - b.pcr);
}

function resetValue(pcr: number, digestSize: number): string {
  const dynamic = pcr >= DYNAMIC_PCRS.first && pcr <= DYNAMIC_PCRS.last;
  return (dynamic ? 'ff' : '00').repeat(digestSize);
}
