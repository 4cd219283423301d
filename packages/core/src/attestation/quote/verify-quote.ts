import { timingSafeEqual } from 'node:crypto';
import {
  assertSelectionMatches,
  type PcrProfileSelection,
  type PcrSelection,
  type PcrValues,
} from './pcr-selection.ts';
import { type ClaimedPcrValues, parseClaimedPcrValues, pcrCompositeDigest } from './pcr-values.ts';
import { QUOTE_LIMITS, QuoteError } from './quote-error.ts';
import { attestBytes, parseTpmsAttest } from './tpm-attest.ts';
import { parseTpm2bPublic, type TpmPublic, tpmName } from './tpm-public.ts';
import { parseTpmtSignature, verifyTpmSignature } from './tpm-signature.ts';

/**
 * What the agent sends for one quote, produced on the device by
 * `tpm2_quote -c <ak> -l <profile selection> -q <nonce hex> -g sha256
 *  -m quote.msg -s quote.sig -o pcrs.bin -F values`, plus the AK from
 * `tpm2_createak -u ak.pub` (or `tpm2_readpublic -o`), which the panel
 * stores at enrolment after credential activation.
 */
export interface VerifyQuoteInput {
  /** The AK: TPM2B_PUBLIC bytes, or the key decoded at enrolment. */
  readonly akPublic: Uint8Array | TpmPublic;
  /** `tpm2_quote -m`: TPMS_ATTEST bytes (a TPM2B_ATTEST is accepted too). */
  readonly message: Uint8Array;
  /** `tpm2_quote -s` with the default `-f tss`: a TPMT_SIGNATURE. */
  readonly signature: Uint8Array;
  /** The fresh nonce the panel issued for this quote (1…64 bytes). */
  readonly nonce: Uint8Array;
  /** The PCR values the device claims; see ClaimedPcrValues for the two accepted forms. */
  readonly pcrValues: ClaimedPcrValues;
  /** The PCRs the attestation profile requires the quote to cover. */
  readonly expectedSelection: PcrProfileSelection;
}

/** A verified quote: the TPM's counters and the PCR values its signature vouches for. */
export interface VerifiedQuote {
  readonly clock: bigint;
  readonly resetCount: number;
  readonly restartCount: number;
  readonly safe: boolean;
  readonly firmwareVersion: bigint;
  /** Exactly the quoted PCRs, bank → index → lower-case hex. */
  readonly pcrs: PcrValues;
  readonly pcrSelection: PcrSelection;
  /** The AK's Name (nameAlg || H(TPMT_PUBLIC)), to match against the one bound by credential activation. */
  readonly akName: Uint8Array;
}

/**
 * Verifies a TPM 2.0 quote (Part 3 TPM2_Quote) made by an attestation
 * key, in this order, each failure with its own code:
 *
 * 1. the AK is restricted, signing and fixedTPM — AK_NOT_RESTRICTED_SIGNING;
 * 2. the signature verifies over the attest bytes — QUOTE_SIGNATURE_INVALID;
 * 3. magic is TPM_GENERATED_VALUE and type TPM_ST_ATTEST_QUOTE — QUOTE_NOT_A_QUOTE;
 * 4. extraData equals the nonce — QUOTE_NONCE_MISMATCH;
 * 5. the PCR selection is the profile's — QUOTE_PCR_SELECTION_MISMATCH;
 * 6. the claimed PCR values hash to pcrDigest — QUOTE_PCR_VALUES_INVALID / QUOTE_PCR_DIGEST_MISMATCH.
 *
 * Malformed bytes anywhere are QUOTE_MALFORMED. Verification throws; it never returns false.
 * Counters are compared with the previous quote by `checkCounters`.
 */
export function verifyQuote(input: VerifyQuoteInput): VerifiedQuote {
  if (input.nonce.length === 0 || input.nonce.length > QUOTE_LIMITS.maxDigestBytes)
    throw new RangeError(`the expected nonce must be 1…${QUOTE_LIMITS.maxDigestBytes} bytes`);
  const ak = input.akPublic instanceof Uint8Array ? parseTpm2bPublic(input.akPublic) : input.akPublic;
  assertRestrictedSigningKey(ak);

  const signed = attestBytes(input.message);
  const signature = parseTpmtSignature(input.signature);
  const hash = verifyTpmSignature(ak, signature, signed);

  const attest = parseTpmsAttest(signed);
  if (!sameBytes(attest.extraData, input.nonce))
    throw new QuoteError(
      'QUOTE_NONCE_MISMATCH',
      'the quote was not made for the nonce the panel issued (extraData)',
    );

  assertSelectionMatches(attest.pcrSelection, input.expectedSelection);
  const pcrs = parseClaimedPcrValues(input.pcrValues, attest.pcrSelection);
  // Part 3 TPM2_Quote: pcrDigest is computed with the hash of the signing scheme.
  if (!sameBytes(pcrCompositeDigest(attest.pcrSelection, pcrs, hash), attest.pcrDigest))
    throw new QuoteError(
      'QUOTE_PCR_DIGEST_MISMATCH',
      'the claimed PCR values do not hash to the pcrDigest the TPM signed',
    );

  const { clock, resetCount, restartCount, safe } = attest.clockInfo;
  return {
    clock,
    resetCount,
    restartCount,
    safe,
    firmwareVersion: attest.firmwareVersion,
    pcrs,
    pcrSelection: attest.pcrSelection,
    akName: tpmName(ak),
  };
}

/**
 * TPM 2.0 Part 1 on restricted signing keys: only a restricted signing key
 * refuses to sign data that starts with TPM_GENERATED_VALUE, so only its
 * signature proves the TPM itself built the attest structure; fixedTPM proves
 * the key cannot have been duplicated off the TPM the EK identifies.
 *
 * @throws QuoteError AK_NOT_RESTRICTED_SIGNING naming every missing attribute.
 */
export function assertRestrictedSigningKey(ak: TpmPublic): void {
  const { restricted, sign, fixedTPM, decrypt } = ak.objectAttributes;
  const problems = [
    ...(restricted ? [] : ['restricted is clear']),
    ...(sign ? [] : ['sign is clear']),
    ...(fixedTPM ? [] : ['fixedTPM is clear']),
    ...(decrypt ? ['decrypt is set'] : []),
  ];
  if (problems.length > 0)
    throw new QuoteError(
      'AK_NOT_RESTRICTED_SIGNING',
      `the attestation key is not a restricted fixedTPM signing key: ${problems.join(', ')}`,
      { details: { problems } },
    );
}

/** Constant-time once the lengths agree; lengths are not secret. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
