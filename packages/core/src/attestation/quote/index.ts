export type { Credential, MakeCredentialInput } from './make-credential.ts';
export { makeCredential, TPM2_TOOLS_CREDENTIAL_MAGIC } from './make-credential.ts';
export type { PcrBankSelection, PcrProfileSelection, PcrSelection, PcrValues } from './pcr-selection.ts';
export { describeSelection } from './pcr-selection.ts';
export type { ClaimedPcrValues } from './pcr-values.ts';
export type { CounterProgress, QuoteCounters } from './quote-counters.ts';
export { checkCounters } from './quote-counters.ts';
export type { QuoteErrorCode, TpmStructure } from './quote-error.ts';
export { QUOTE_LIMITS, QuoteError } from './quote-error.ts';
export type { TpmCurveName, TpmHashName } from './tpm-algorithms.ts';
export { TPM_ALG } from './tpm-algorithms.ts';
export type { TpmClockInfo, TpmQuoteAttest } from './tpm-attest.ts';
export { attestBytes, parseTpmsAttest, TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE } from './tpm-attest.ts';
export { kdfa, kdfe } from './tpm-kdf.ts';
export type {
  TpmEccPublic,
  TpmObjectAttributes,
  TpmPublic,
  TpmRsaPublic,
  TpmScheme,
  TpmSymmetricDefinition,
} from './tpm-public.ts';
export { parseTpm2bPublic, parseTpmtPublic, tpmName } from './tpm-public.ts';
export { tpmPublicKeyObject } from './tpm-public-key.ts';
export type { TpmSignature } from './tpm-signature.ts';
export { parseTpmtSignature, verifyTpmSignature } from './tpm-signature.ts';
export type { VerifiedQuote, VerifyQuoteInput } from './verify-quote.ts';
export { assertRestrictedSigningKey, verifyQuote } from './verify-quote.ts';
