export type { AttestationClientOptions, Attestor } from './attestation-client.ts';
export { AttestationClient } from './attestation-client.ts';
export type { AttestationSettings } from './attestation-settings.ts';
export {
  DEFAULT_EVENT_LOG_PATH,
  DEFAULT_FIRMWARE_VERSION_PATH,
  parseAttestationSettings,
} from './attestation-settings.ts';
export type { AttestationSession } from './start-attestation.ts';
export { startAttestation } from './start-attestation.ts';
export type { QuoteFiles } from './tpm-attestor.ts';
export { DEFAULT_AK_HANDLE, EK_HANDLE, TpmAttestor } from './tpm-attestor.ts';
