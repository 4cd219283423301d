import { QUOTE_LIMITS, QuoteError, unsupported } from './quote-error.ts';
import { algorithmHex, type TpmHashName, tpmHash } from './tpm-algorithms.ts';
import type { TpmReader } from './tpm-reader.ts';

/** One TPMS_PCR_SELECTION: a bank and its selected PCR indices, ascending. */
export interface PcrBankSelection {
  readonly bank: TpmHashName;
  readonly pcrs: readonly number[];
}

/**
 * A decoded TPML_PCR_SELECTION, in the TPM's order (the order pcrDigest is
 * computed in). Banks with no PCR selected are left out: they add nothing to
 * the digest (a TPM lists them when asked for an unallocated bank).
 */
export type PcrSelection = readonly PcrBankSelection[];

/** The selection an attestation profile requires: bank → PCR indices, e.g. `{ sha256: [0, 1, 2, 3, 7] }`. */
export type PcrProfileSelection = Readonly<Partial<Record<TpmHashName, readonly number[]>>>;

/** PCR values by bank and index, lower-case hex: `{ sha256: { 0: '3d45…', 7: 'b5710b…' } }`. */
export type PcrValues = Readonly<Partial<Record<TpmHashName, Readonly<Record<number, string>>>>>;

/** Part 2 TPML_PCR_SELECTION: UINT32 count, then per bank hash, sizeofSelect, pcrSelect bitmap. */
export function readPcrSelection(reader: TpmReader): PcrSelection {
  const countAt = reader.offset;
  const count = reader.u32('pcrSelect.count');
  if (count > QUOTE_LIMITS.maxPcrBanks)
    throw reader.fail(`pcrSelect.count ${count} is over ${QUOTE_LIMITS.maxPcrBanks} banks`, countAt);
  const selection: PcrBankSelection[] = [];
  for (let i = 0; i < count; i += 1) {
    const hashAlg = reader.u16(`pcrSelections[${i}].hash`);
    const sizeAt = reader.offset;
    const size = reader.u8(`pcrSelections[${i}].sizeofSelect`);
    if (size > QUOTE_LIMITS.maxPcrSelectBytes)
      throw reader.fail(
        `pcrSelections[${i}].sizeofSelect ${size} is over ${QUOTE_LIMITS.maxPcrSelectBytes}`,
        sizeAt,
      );
    const bitmap = reader.bytes(size, `pcrSelections[${i}].pcrSelect`);
    // Part 2 TPMS_PCR_SELECT: bit j of octet i selects PCR 8i + j.
    const pcrs: number[] = [];
    bitmap.forEach((octet, index) => {
      for (let bit = 0; bit < 8; bit += 1) if ((octet >> bit) & 1) pcrs.push(index * 8 + bit);
    });
    if (pcrs.length === 0) continue;
    const hash = tpmHash(hashAlg);
    if (hash === undefined)
      throw unsupported('TPML_PCR_SELECTION', `PCR bank ${algorithmHex(hashAlg)} is not SHA-1/256/384/512`);
    selection.push({ bank: hash.name, pcrs });
  }
  return selection;
}

/**
 * Checks that a quote covers exactly the PCRs the profile asks for: the same
 * banks and indices (order is the TPM's business: it only changes the digest,
 * which is recomputed in the quoted order).
 *
 * @throws QuoteError QUOTE_PCR_SELECTION_MISMATCH naming the first difference.
 */
export function assertSelectionMatches(quoted: PcrSelection, expected: PcrProfileSelection): void {
  const mismatch = (message: string) =>
    new QuoteError('QUOTE_PCR_SELECTION_MISMATCH', `the quote's PCR selection ${message}`, {
      details: { quoted: describeSelection(quoted), expected: profileText(expected) },
    });
  const seen = new Set<TpmHashName>();
  for (const { bank } of quoted) {
    if (seen.has(bank)) throw mismatch(`lists bank ${bank} twice`);
    seen.add(bank);
  }
  for (const { bank, pcrs } of quoted) {
    const wanted = normalizedProfileBank(expected, bank);
    if (wanted.length === 0) throw mismatch(`includes bank ${bank}, which the profile does not select`);
    if (pcrs.join(',') !== wanted.join(','))
      throw mismatch(`has ${bank}:${pcrs.join(',')}, the profile ${bank}:${wanted.join(',')}`);
  }
  for (const bank of Object.keys(expected) as TpmHashName[]) {
    if (!seen.has(bank) && normalizedProfileBank(expected, bank).length > 0)
      throw mismatch(`lacks bank ${bank}, which the profile selects`);
  }
}

/** `sha256:0,1,2,3,7+sha1:0`: the tpm2-tools notation (`tpm2_quote -l`), for messages and logs. */
export function describeSelection(selection: PcrSelection): string {
  return selection.map(({ bank, pcrs }) => `${bank}:${pcrs.join(',')}`).join('+');
}

function profileText(profile: PcrProfileSelection): string {
  return (Object.keys(profile) as TpmHashName[])
    .map((bank) => `${bank}:${normalizedProfileBank(profile, bank).join(',')}`)
    .join('+');
}

/** The profile is the panel's configuration, not device input: a bad one is a programming error. */
function normalizedProfileBank(profile: PcrProfileSelection, bank: TpmHashName): number[] {
  const pcrs = profile[bank] ?? [];
  for (const pcr of pcrs) {
    if (!Number.isInteger(pcr) || pcr < 0 || pcr >= QUOTE_LIMITS.maxPcrSelectBytes * 8)
      throw new RangeError(`attestation profile selects ${bank} PCR ${pcr}, outside 0…31`);
  }
  return [...new Set(pcrs)].sort((a, b) => a - b);
}
