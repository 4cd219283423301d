import { createHash } from 'node:crypto';
import type { PcrSelection, PcrValues } from './pcr-selection.ts';
import { QuoteError } from './quote-error.ts';
import { hashSize, isTpmHashName, type TpmHashName } from './tpm-algorithms.ts';

/**
 * The PCR values a device claims for its quote, in one of two forms:
 *
 * - `Uint8Array`: the file `tpm2_quote -o pcrs.bin -F values` writes, i.e. the
 *   selected PCR values concatenated in the quote's selection order (bank by
 *   bank, indices ascending), no framing. This is what the agent sends: it is
 *   exactly the input of pcrDigest, independent of the host's endianness, and
 *   `tpm2_checkquote -f pcrs.bin -l <selection>` reads it too. (The default
 *   `-F serialized` is a dump of tpm2-tools' C structs, host-endian and padded:
 *   not a wire format.)
 * - a JSON object, bank → decimal index → hex digest (`0x` and either case
 *   allowed, as `tpm2_pcrread` prints them): `{ "sha256": { "0": "3d45…" } }`.
 *
 * Either way it must hold exactly the quoted PCRs: a value for a PCR the quote
 * does not cover would be an unsigned claim.
 */
export type ClaimedPcrValues = Uint8Array | Readonly<Record<string, Readonly<Record<string, string>>>>;

const HEX = /^(?:0x)?([0-9a-fA-F]*)$/;
const INDEX = /^(?:0|[1-9][0-9]?)$/;

/**
 * The claimed values as a PcrValues map covering exactly `selection`.
 *
 * @throws QuoteError QUOTE_PCR_VALUES_INVALID naming the bank and index.
 */
export function parseClaimedPcrValues(claimed: ClaimedPcrValues, selection: PcrSelection): PcrValues {
  return claimed instanceof Uint8Array ? fromValuesFile(claimed, selection) : fromJsonMap(claimed, selection);
}

/**
 * Part 3 TPM2_Quote: pcrDigest is the hash, with the
 * signing scheme's hash, of the selected PCR values concatenated in selection order.
 */
export function pcrCompositeDigest(
  selection: PcrSelection,
  values: PcrValues,
  hash: TpmHashName,
): Uint8Array {
  const digest = createHash(hash);
  for (const { bank, pcrs } of selection) {
    for (const pcr of pcrs) {
      const value = values[bank]?.[pcr];
      if (value === undefined) throw invalid(`no value for ${bank} PCR ${pcr}`);
      digest.update(Buffer.from(value, 'hex'));
    }
  }
  return digest.digest();
}

function fromValuesFile(bytes: Uint8Array, selection: PcrSelection): PcrValues {
  const expected = selection.reduce((sum, { bank, pcrs }) => sum + pcrs.length * hashSize(bank), 0);
  if (bytes.length !== expected)
    throw invalid(`the PCR values file is ${bytes.length} bytes, the quoted selection needs ${expected}`);
  const values: Partial<Record<TpmHashName, Record<number, string>>> = {};
  let offset = 0;
  for (const { bank, pcrs } of selection) {
    const size = hashSize(bank);
    const bankValues: Record<number, string> = values[bank] ?? {};
    values[bank] = bankValues;
    for (const pcr of pcrs) {
      bankValues[pcr] = Buffer.from(bytes.subarray(offset, offset + size)).toString('hex');
      offset += size;
    }
  }
  return values;
}

function fromJsonMap(map: unknown, selection: PcrSelection): PcrValues {
  if (!isRecord(map)) throw invalid('PCR values are neither a values file nor a JSON object');
  const quoted = new Map(selection.map(({ bank, pcrs }) => [bank as string, new Set(pcrs)]));
  const values: Partial<Record<TpmHashName, Record<number, string>>> = {};
  for (const [bank, indices] of Object.entries(map)) {
    if (!isTpmHashName(bank))
      throw invalid(`bank "${bank.slice(0, 16)}" is not sha1, sha256, sha384 or sha512`);
    const wanted = quoted.get(bank);
    if (!isRecord(indices)) throw invalid(`${bank} is not an object of index → hex digest`);
    const bankValues: Record<number, string> = {};
    for (const [index, hex] of Object.entries(indices)) {
      if (!INDEX.test(index)) throw invalid(`${bank} index "${index.slice(0, 8)}" is not a PCR number`);
      const pcr = Number(index);
      if (wanted?.has(pcr) !== true) throw invalid(`${bank} PCR ${pcr} is not in the quote`);
      const digits = typeof hex === 'string' ? HEX.exec(hex)?.[1] : undefined;
      if (digits?.length !== hashSize(bank) * 2)
        throw invalid(`${bank} PCR ${pcr} is not ${hashSize(bank)} bytes of hex`);
      bankValues[pcr] = digits.toLowerCase();
    }
    values[bank] = bankValues;
  }
  for (const { bank, pcrs } of selection) {
    const missing = pcrs.filter((pcr) => values[bank]?.[pcr] === undefined);
    if (missing.length > 0) throw invalid(`no value for quoted ${bank} PCR ${missing.join(',')}`);
  }
  return values;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function invalid(message: string): QuoteError {
  return new QuoteError('QUOTE_PCR_VALUES_INVALID', `PCR values: ${message}`);
}
