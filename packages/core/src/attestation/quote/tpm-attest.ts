import { type PcrSelection, readPcrSelection } from './pcr-selection.ts';
import { malformed, QUOTE_LIMITS, QuoteError } from './quote-error.ts';
import { TpmReader } from './tpm-reader.ts';

/** Part 2 TPM_GENERATED_VALUE: "\xffTCG". A restricted key signs nothing else that starts with it. */
export const TPM_GENERATED_VALUE = 0xff544347;
/** Part 2 TPM_ST_ATTEST_QUOTE. */
export const TPM_ST_ATTEST_QUOTE = 0x8018;

/** Part 2 TPMS_CLOCK_INFO. */
export interface TpmClockInfo {
  /** Milliseconds the TPM has been powered since TPM2_Clear; persisted in NV, so it survives reboots. */
  readonly clock: bigint;
  /** TPM Resets (reboots: Startup(CLEAR)) since TPM2_Clear. */
  readonly resetCount: number;
  /** TPM Restarts/Resumes (hibernate, suspend) since the last TPM Reset. */
  readonly restartCount: number;
  /** False when Clock may have been reported larger before an unorderly shutdown lost its NV update. */
  readonly safe: boolean;
}

/** A decoded TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (Part 2; attested is a TPMS_QUOTE_INFO). */
export interface TpmQuoteAttest {
  /** TPM2B_NAME: the signing key's qualified name. */
  readonly qualifiedSigner: Uint8Array;
  /** TPM2B_DATA: the caller's qualifying data, where Palisade puts its nonce. */
  readonly extraData: Uint8Array;
  readonly clockInfo: TpmClockInfo;
  /** TPM vendor-specific firmware version. */
  readonly firmwareVersion: bigint;
  readonly pcrSelection: PcrSelection;
  readonly pcrDigest: Uint8Array;
}

/**
 * The TPMS_ATTEST bytes of a quote message, which may come framed as a
 * TPM2B_ATTEST (UINT16 size first, as TPM2_Quote returns it) or bare (what
 * `tpm2_quote -m` writes). These are the bytes the signature covers.
 *
 * @throws QuoteError QUOTE_MALFORMED for a message over QUOTE_LIMITS.maxAttestBytes.
 */
export function attestBytes(message: Uint8Array): Uint8Array {
  if (message.length > QUOTE_LIMITS.maxAttestBytes + 2)
    throw malformed('TPM2B_ATTEST', `${message.length} bytes, limit ${QUOTE_LIMITS.maxAttestBytes}`);
  // A TPMS_ATTEST starts with 0xff54, which as a TPM2B size would be over the limit: the two cannot be confused.
  if (message.length >= 2 && (message[0] ?? 0) * 256 + (message[1] ?? 0) === message.length - 2)
    return message.subarray(2);
  return message;
}

/**
 * Decodes a TPMS_ATTEST that must be a quote.
 *
 * @throws QuoteError QUOTE_NOT_A_QUOTE (magic or type) or QUOTE_MALFORMED.
 */
export function parseTpmsAttest(bytes: Uint8Array): TpmQuoteAttest {
  if (bytes.length > QUOTE_LIMITS.maxAttestBytes)
    throw malformed('TPMS_ATTEST', `${bytes.length} bytes, limit ${QUOTE_LIMITS.maxAttestBytes}`);
  const reader = new TpmReader(bytes, 'TPMS_ATTEST');
  const magic = reader.u32('magic');
  if (magic !== TPM_GENERATED_VALUE)
    throw new QuoteError(
      'QUOTE_NOT_A_QUOTE',
      `TPMS_ATTEST: magic 0x${magic.toString(16)} is not TPM_GENERATED_VALUE: the TPM did not generate this structure`,
    );
  const type = reader.u16('type');
  if (type !== TPM_ST_ATTEST_QUOTE)
    throw new QuoteError(
      'QUOTE_NOT_A_QUOTE',
      `TPMS_ATTEST: type 0x${type.toString(16)} is not TPM_ST_ATTEST_QUOTE (0x8018): a different attestation`,
    );
  const qualifiedSigner = reader.sized('qualifiedSigner', QUOTE_LIMITS.maxNameBytes);
  const extraData = reader.sized('extraData', QUOTE_LIMITS.maxDigestBytes);
  const clock = reader.u64('clockInfo.clock');
  const resetCount = reader.u32('clockInfo.resetCount');
  const restartCount = reader.u32('clockInfo.restartCount');
  const safeAt = reader.offset;
  const safe = reader.u8('clockInfo.safe');
  // TPMI_YES_NO: anything but 0 or 1 is not a value a TPM marshals.
  if (safe > 1) throw reader.fail(`clockInfo.safe is ${safe}, not YES (1) or NO (0)`, safeAt);
  const firmwareVersion = reader.u64('firmwareVersion');
  const pcrSelection = readPcrSelection(reader);
  const pcrDigest = reader.sized('pcrDigest', QUOTE_LIMITS.maxDigestBytes);
  reader.end();
  return {
    qualifiedSigner,
    extraData,
    clockInfo: { clock, resetCount, restartCount, safe: safe === 1 },
    firmwareVersion,
    pcrSelection,
    pcrDigest,
  };
}
