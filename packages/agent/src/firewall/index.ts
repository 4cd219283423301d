export type { FirewallErrorCode } from './firewall-error.ts';
export { FirewallError } from './firewall-error.ts';
export type { NftResult, NftRunner, NftRunnerOptions } from './nft-runner.ts';
export { createNftRunner } from './nft-runner.ts';
export type {
  ApplyOptions,
  FirewallApplication,
  FirewallDrift,
  FirewallRecovery,
  FirewallSettlement,
  NftablesFirewallOptions,
} from './nftables-firewall.ts';
export { MAX_CONFIRM_WINDOW_MS, NftablesFirewall } from './nftables-firewall.ts';
export { DROP_LOG_PREFIX, PALISADE_TABLE, renderFirewall } from './render-nftables.ts';
export { ABSENT_TABLE_HASH } from './ruleset-hash.ts';
