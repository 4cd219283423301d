export type { AttestationFailureResponse, AttestationPolicy } from './attestation-policy.ts';
export { ATTESTATION_FAILURE_RESPONSES, ATTESTATION_LIMITS } from './attestation-policy.ts';
export type { ConfigFile, ConfigPolicy } from './config-policy.ts';
export { CONFIG_BASE64_MAX_LENGTH, CONFIG_LIMITS } from './config-policy.ts';
export type {
  CryptoPolicy,
  HashAlgorithm,
  KeyCurve,
  KeyPolicy,
  TlsCipherSuite,
  TlsGroup,
  TlsPolicy,
  TlsSignatureAlgorithm,
  TlsVersion,
} from './crypto-policy.ts';
export {
  CRYPTO_LIMITS,
  HASH_ALGORITHMS,
  KEY_CURVE_BITS,
  KEY_CURVES,
  POST_QUANTUM_CHANNEL_GROUP,
  TLS_CIPHER_SUITES,
  TLS_GROUPS,
  TLS_SIGNATURE_ALGORITHMS,
  TLS_VERSIONS,
  TLS12_CIPHER_SUITES,
  TLS13_CIPHER_SUITES,
} from './crypto-policy.ts';
export type { NodeTlsOptions } from './crypto-policy-render.ts';
export {
  cryptoPolicyToNodeTls,
  cryptoPolicyToOpenSslConf,
  opensslSecurityLevel,
} from './crypto-policy-render.ts';
export type {
  DevicePolicies,
  EffectivePolicies,
  EffectivePolicy,
  FleetDevice,
  PolicyAssignment,
  PolicyConflict,
  PolicyScope,
  PolicySource,
} from './effective-policy.ts';
export { compareCodeUnits, computeEffectivePolicies } from './effective-policy.ts';
export type { EffectivePolicyChange, EffectivePolicyKindChange } from './effective-policy-diff.ts';
export { diffEffectivePolicies } from './effective-policy-diff.ts';
export type { PanelReachability } from './firewall-lockout.ts';
export { assertFirewallKeepsPanelReachable, EPHEMERAL_PORTS } from './firewall-lockout.ts';
export type {
  FirewallAction,
  FirewallDirection,
  FirewallPolicy,
  FirewallPortRange,
  FirewallProtocol,
  FirewallRule,
  PanelEndpoint,
} from './firewall-policy.ts';
export { FIREWALL_LIMITS } from './firewall-policy.ts';
export type { Cidr, IpAddress, IpFamily } from './ip-cidr.ts';
export { cidrContains, formatCidr, formatIpAddress, parseCidr, parseIpAddress } from './ip-cidr.ts';
export type {
  CryptoScan,
  MonitoringPolicy,
  ProtectedPath,
  ProtectedPathClass,
  ProtectionResponse,
} from './monitoring-policy.ts';
export { MONITORING_LIMITS, PROTECTED_PATH_CLASSES, PROTECTION_RESPONSES } from './monitoring-policy.ts';
export { parsePolicyDocument } from './parse-policy-document.ts';
export { parsePolicyPayload } from './parse-policy-payload.ts';
export type { PolicyErrorCode } from './policy-error.ts';
export { PolicyError } from './policy-error.ts';
export type { PolicyDocument, PolicyDocuments, PolicyKind } from './policy-kinds.ts';
export { isPolicyKind, POLICY_KINDS } from './policy-kinds.ts';
export { POLICY_SCHEMAS } from './policy-schemas.ts';
export {
  POLICY_SIGNATURE_BYTES,
  policyKeyAlgorithm,
  policyKeyId,
  policyPayloadDigest,
  policySignerFromKey,
  policyTrust,
  signedPolicyBytes,
  signPolicyPayload,
} from './policy-signing.ts';
export type { JsonSchema } from './schema-fragments.ts';
export type { EventForwarding, SiemPolicy } from './siem-policy.ts';
export { SIEM_LIMITS } from './siem-policy.ts';
export type {
  AcceptedPolicyVersion,
  PolicyPayload,
  PolicySignature,
  PolicySignatureAlgorithm,
  PolicySigner,
  PolicyTrust,
  PreviousPolicyVersion,
  SignedPolicy,
  TrustedPolicyKey,
  VerifiedPolicy,
} from './signed-policy.ts';
export { POLICY_SIGNATURE_ALGORITHMS, SIGNED_POLICY_LIMITS } from './signed-policy.ts';
export { verifySignedPolicy } from './verify-signed-policy.ts';
