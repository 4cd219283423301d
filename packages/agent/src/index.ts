export type { AgentExit, AgentOptions } from './agent.ts';
export { Agent } from './agent.ts';
export type { AgentErrorCode } from './agent-error.ts';
export { AgentError } from './agent-error.ts';
export { createAgentLogger } from './agent-logger.ts';
export type { PanelEndpoint } from './channel/panel-tls.ts';
export type { AgentConfig, AgentRootOfTrustConfig } from './config/agent-config.ts';
export { DEFAULT_AGENT_CONFIG_PATH, loadAgentConfig, parseAgentConfig } from './config/agent-config.ts';
export type {
  ApplyOptions,
  FirewallApplication,
  FirewallDrift,
  FirewallErrorCode,
  FirewallRecovery,
  FirewallSettlement,
  NftablesFirewallOptions,
  NftResult,
  NftRunner,
  NftRunnerOptions,
} from './firewall/index.ts';
export {
  ABSENT_TABLE_HASH,
  createNftRunner,
  DROP_LOG_PREFIX,
  FirewallError,
  MAX_CONFIRM_WINDOW_MS,
  NftablesFirewall,
  PALISADE_TABLE,
  renderFirewall,
} from './firewall/index.ts';
export type { Inventory } from './inventory/index.ts';
export { collectInventory } from './inventory/index.ts';
export type { OutboxRecord } from './outbox/index.ts';
export { Outbox } from './outbox/index.ts';
export type {
  DesiredPolicies,
  DesiredPolicy,
  KindResult,
  PolicyApplyErrorCode,
  PolicyApplyState,
  PolicyClientOptions,
  PolicyListener,
  PolicyPanel,
  PolicySettings,
  PolicyStatus,
  SyncResults,
} from './policies/index.ts';
export { POLICY_APPLY_STATES, PolicyApplyError, PolicyClient, RULE_MATCHED } from './policies/index.ts';
export { openRootOfTrust } from './roots/open-root.ts';
export type { IdentityKey, RootOfTrust, RootOfTrustKind } from './roots/root-of-trust.ts';
export { RootOfTrustError } from './roots/root-of-trust-error.ts';
export type { FleetOptions, FleetSummary } from './simulator/fleet.ts';
export { simulateFleet } from './simulator/fleet.ts';
