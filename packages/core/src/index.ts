export type {
  AlgorithmName,
  DecodedEventData,
  EventDigests,
  EventLog,
  EventLogAlgorithm,
  EventLogErrorCode,
  KnownAlgorithmName,
  PcrMismatch,
  QuotedPcrs,
  ReplayedPcrs,
  TcgEvent,
  TcgEventTypeName,
} from './attestation/eventlog/index.ts';
export {
  compareWithQuotedPcrs,
  EVENT_LOG_LIMITS,
  EventLogError,
  eventTypeName,
  parseEventLog,
  replayEventLog,
  TCG_EVENT_TYPES,
} from './attestation/eventlog/index.ts';
export type {
  ClaimedPcrValues,
  CounterProgress,
  Credential,
  MakeCredentialInput,
  PcrBankSelection,
  PcrProfileSelection,
  PcrSelection,
  PcrValues,
  QuoteCounters,
  QuoteErrorCode,
  TpmClockInfo,
  TpmCurveName,
  TpmEccPublic,
  TpmHashName,
  TpmObjectAttributes,
  TpmPublic,
  TpmQuoteAttest,
  TpmRsaPublic,
  TpmScheme,
  TpmSignature,
  TpmStructure,
  TpmSymmetricDefinition,
  VerifiedQuote,
  VerifyQuoteInput,
} from './attestation/quote/index.ts';
export {
  assertRestrictedSigningKey,
  attestBytes,
  checkCounters,
  describeSelection,
  kdfa,
  kdfe,
  makeCredential,
  parseTpm2bPublic,
  parseTpmsAttest,
  parseTpmtPublic,
  parseTpmtSignature,
  QUOTE_LIMITS,
  QuoteError,
  TPM_ALG,
  TPM_GENERATED_VALUE,
  TPM_ST_ATTEST_QUOTE,
  TPM2_TOOLS_CREDENTIAL_MAGIC,
  tpmName,
  tpmPublicKeyObject,
  verifyQuote,
  verifyTpmSignature,
} from './attestation/quote/index.ts';
export { canonicalJson } from './encoding/canonical-json.ts';
export { newUuidV7 } from './encoding/uuidv7.ts';
export type { FieldProblem } from './errors/palisade-error.ts';
export { PalisadeError } from './errors/palisade-error.ts';
export type { CefOptions } from './events/cef.ts';
export { CEF_VENDOR, cefFieldKey, escapeCefExtension, escapeCefHeader, formatCef } from './events/cef.ts';
export type { ControlId } from './events/control-ids.ts';
export { CONTROL_IDS, isControlId } from './events/control-ids.ts';
export type { EventFieldSpec, EventFieldType, EventTypeInfo } from './events/event-catalogue.ts';
export { EVENT_CATALOGUE, eventTypeInfo } from './events/event-catalogue.ts';
export { formatEventJson } from './events/json.ts';
export type { ParseEventOptions } from './events/parse-security-event.ts';
export { parseSecurityEvent } from './events/parse-security-event.ts';
export type {
  EventErrorCode,
  EventFieldValue,
  EventSource,
  SecurityEvent,
} from './events/security-event.ts';
export {
  EVENT_LIMITS,
  EVENT_TYPE_PATTERN,
  EventError,
  FIELD_KEY_PATTERN,
} from './events/security-event.ts';
export type { SyslogOptions } from './events/syslog.ts';
export {
  assertSyslogOptions,
  escapeSdParamValue,
  formatSyslog5424,
  frameOctetCounting,
  PALISADE_FIELDS_SD_ID,
  PALISADE_SD_ID,
  SYSLOG_DEFAULT_MAX_BYTES,
  SYSLOG_TRUNCATION_MARKER,
  syslogSeverity,
} from './events/syslog.ts';
export type { OperatorRole } from './operators/roles.ts';
export { isOperatorRole, OPERATOR_ROLES } from './operators/roles.ts';
export type {
  FirewallAction,
  FirewallDirection,
  FirewallPolicy,
  FirewallPortRange,
  FirewallProtocol,
  FirewallRule,
  PanelEndpoint,
} from './policy/firewall-policy.ts';
export { FIREWALL_LIMITS } from './policy/firewall-policy.ts';
export type {
  DetectKind,
  EvaluationContext,
  RuleAction,
  RuleCondition,
  RuleDetect,
  RuleDocument,
  RuleEngineOptions,
  RuleErrorCode,
  RuleField,
  RuleFiring,
  RuleLeaf,
  RuleOperator,
  RuleStateSize,
  SigmaImportOptions,
  ThresholdScope,
} from './rules/index.ts';
export {
  deviceEvaluable,
  MAX_FIRING_EVENTS,
  parseRuleDocument,
  RULE_LIMITS,
  RuleEngine,
  RuleError,
  sigmaToRule,
} from './rules/index.ts';
