export { CONTROL_CATALOGUE, controlDefinition, controlsRequiredAt } from './control-catalogue.ts';
export type { ControlDefinition, ControlFamily, Freshness } from './control-definition.ts';
export {
  CONTROL_FAMILIES,
  DEVICE_CONTACT_SECONDS,
  SCAN_SECONDS,
  UPDATE_CHECK_SECONDS,
} from './control-definition.ts';
export type { ControlEvaluator } from './control-evaluator.ts';
export { CONTROL_EVALUATORS } from './control-evaluators.ts';
export type { ControlResult, ControlStatus, EvidenceKind, EvidenceRef } from './control-result.ts';
export { CONTROL_STATUSES, satisfies } from './control-result.ts';
export type {
  AttestationCheck,
  AttestationEvidence,
  AttestationVerdictEvidence,
  BootManifestEvidence,
  CertificateEvidence,
  CryptoInventoryEvidence,
  DeviceEvidence,
  ExporterEvidence,
  FleetEvidence,
  GroupContext,
  IdevidEvidence,
  InventoryFact,
  InventorySource,
  MonitoringEvidence,
  PlatformEvidence,
  PolicyEvidence,
  RenewalHistory,
  RootOfTrustEvidence,
  UpdateEvidence,
} from './device-evidence.ts';
export type { DeviceCompliance } from './evaluate-device.ts';
export { achievedLevel, evaluateDevice, gapsTo } from './evaluate-device.ts';
export { EXPORT_LAG_LIMIT_SECONDS } from './evaluate-siem.ts';
export type { AchievedLevel, SecurityLevel } from './security-levels.ts';
export {
  ACHIEVED_LEVELS,
  IEC_62443_SECURITY_LEVEL,
  isSecurityLevel,
  levelRank,
  SECURITY_LEVELS,
} from './security-levels.ts';
