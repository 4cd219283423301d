export type { BindingChallenge, BindingRequest } from './ak-binding.ts';
export type { AttestationDeviceServices } from './attestation-device-routes.ts';
export { registerAttestationDeviceRoutes } from './attestation-device-routes.ts';
export type { AttestationErrorCode } from './attestation-error.ts';
export { AttestationError } from './attestation-error.ts';
export type { AttestationKey, AttestationKeyStatus } from './attestation-keys.ts';
export type { AttestationOperatorServices } from './attestation-operator-routes.ts';
export { registerAttestationOperatorRoutes } from './attestation-operator-routes.ts';
export type { AttestationProfile, AttestationProfileSource } from './attestation-profile.ts';
export { DEFAULT_ATTESTATION_PROFILE } from './attestation-profile.ts';
export type {
  AttestationChallenge,
  AttestationServiceDeps,
  DeviceAttestationView,
} from './attestation-service.ts';
export { AttestationService } from './attestation-service.ts';
export type { AttestationVerdict, VerdictEvidence } from './attestation-verdicts.ts';
export type { EvidenceBody } from './evidence.ts';
export { EVIDENCE_LIMITS } from './evidence.ts';
export type { ReferenceSet } from './reference-store.ts';
export type { EventReference, ReferenceValues } from './reference-values.ts';
export type { TpmManufacturerCa } from './tpm-manufacturer-cas.ts';
export type { AttestationCheckCode, VerdictCode, VerdictComponent } from './verdict-failure.ts';
export { VERDICT_REASONS } from './verdict-reasons.ts';
