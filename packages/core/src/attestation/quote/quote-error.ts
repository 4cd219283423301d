import { PalisadeError } from '../../errors/palisade-error.ts';

export type QuoteErrorCode =
  /** Bytes that do not decode as the TPM 2.0 structure named in `details.structure` (length, tag, reserved bits, trailing bytes). */
  | 'QUOTE_MALFORMED'
  /** A well-formed structure using an algorithm, curve or key size Palisade does not verify (SM2, BN-P256, RSA-1024 …). */
  | 'QUOTE_UNSUPPORTED_ALGORITHM'
  /** The attestation key is not a restricted, fixedTPM signing key, so its signature does not prove a TPM made the quote. */
  | 'AK_NOT_RESTRICTED_SIGNING'
  /** The signature does not verify over the attest bytes with the AK, or does not match the AK's type and scheme. */
  | 'QUOTE_SIGNATURE_INVALID'
  /** Signed, but not a TPM-generated quote: magic is not TPM_GENERATED_VALUE or type is not TPM_ST_ATTEST_QUOTE. */
  | 'QUOTE_NOT_A_QUOTE'
  /** extraData is not the nonce the panel issued: replay or a quote made for someone else. */
  | 'QUOTE_NONCE_MISMATCH'
  /** The quoted PCR selection differs from the attestation profile's. */
  | 'QUOTE_PCR_SELECTION_MISMATCH'
  /** The PCR values the device sent are malformed, missing a quoted PCR, or include one that was not quoted. */
  | 'QUOTE_PCR_VALUES_INVALID'
  /** The claimed PCR values do not hash to the signed pcrDigest: the device lied about its PCRs. */
  | 'QUOTE_PCR_DIGEST_MISMATCH'
  /** resetCount, restartCount or clock went backwards: a replayed quote or a different TPM. */
  | 'QUOTE_COUNTER_REGRESSION'
  /** The EK cannot protect a credential (not a restricted decryption key, or a symmetric scheme other than AES-CFB). */
  | 'CREDENTIAL_EK_UNSUPPORTED'
  /** The AK name or the secret given to makeCredential is not what TPM2_MakeCredential accepts. */
  | 'CREDENTIAL_INPUT_INVALID';

/** The TPM 2.0 structures the decoders name in `details.structure`. */
export type TpmStructure =
  | 'TPM2B_PUBLIC'
  | 'TPMT_PUBLIC'
  | 'TPMS_ATTEST'
  | 'TPM2B_ATTEST'
  | 'TPMT_SIGNATURE'
  | 'TPML_PCR_SELECTION'
  | 'TPM2B_NAME'
  | 'PCR_VALUES';

/**
 * Refusals of TPM 2.0 quote verification and credential activation. The
 * message names the field and the limit; it never contains key material, the
 * credential secret or the seed.
 */
export class QuoteError extends PalisadeError<QuoteErrorCode> {}

/**
 * Bounds on untrusted TPM structures, well above what a TPM emits (Part 2
 * sizes: TPMU_HA is 64 bytes, RSA keys at most 4096 bits, 24 PCRs per bank)
 * and low enough that a hostile device cannot make the panel hash megabytes.
 */
export const QUOTE_LIMITS = {
  /** TPM2B_ATTEST / TPMS_ATTEST bytes (a quote over every PCR of four banks is ~200 bytes). */
  maxAttestBytes: 2048,
  /** TPM2B_PUBLIC bytes (RSA-4096 with a 64-byte policy is ~600). */
  maxPublicBytes: 1024,
  /** TPMT_SIGNATURE bytes (RSA-4096: 6 + 512). */
  maxSignatureBytes: 1024,
  /** sizeof(TPMU_HA): the largest digest, nonce (TPM2B_DATA holds a TPMT_HA, but Palisade nonces are digests). */
  maxDigestBytes: 64,
  /** TPM2B_NAME: a TPMT_HA (2-byte algorithm + 64-byte digest) or a 4-byte handle. */
  maxNameBytes: 66,
  /** Banks in one TPML_PCR_SELECTION (Part 2 allows HASH_COUNT; four banks exist in practice). */
  maxPcrBanks: 8,
  /** pcrSelect bytes per bank: PCR_SELECT_MAX for 32 PCRs (PC Client TPMs have 24, sizeofSelect 3). */
  maxPcrSelectBytes: 4,
} as const;

export function malformed(structure: TpmStructure, message: string, offset?: number): QuoteError {
  const details: Record<string, unknown> = { structure };
  if (offset !== undefined) details.offset = offset;
  return new QuoteError('QUOTE_MALFORMED', `${structure}: ${message}`, { details });
}

export function unsupported(structure: TpmStructure, message: string): QuoteError {
  return new QuoteError('QUOTE_UNSUPPORTED_ALGORITHM', `${structure}: ${message}`, {
    details: { structure },
  });
}
