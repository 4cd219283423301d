export { csrAttributesDer } from './csr-attributes.ts';
export type { AcceptedCsr } from './csr-policy.ts';
export { acceptCsr, minimumRsaBits } from './csr-policy.ts';
export type { DevicePeer } from './device-peer.ts';
export { channelBindingOf, DevicePeers } from './device-peer.ts';
export type { EnrollmentErrorCode } from './enrollment-error.ts';
export { EnrollmentError } from './enrollment-error.ts';
export { decodeEstBase64, encodeEstBase64 } from './est-base64.ts';
export { EST_BODY_LIMIT, EST_PREFIX, enrollmentCredentialOf, registerEstRoutes } from './est-routes.ts';
export type {
  EnrollmentCredential,
  EnrollmentOutcome,
  EnrollmentRequest,
  EstServiceOptions,
} from './est-service.ts';
export { EstService } from './est-service.ts';
