import { PalisadeError, PolicyError } from '@palisade/core';
import { FirewallError } from '../firewall/firewall-error.ts';
import { PolicyApplyError } from './policy-apply-error.ts';

/** What sync or a drift check did for one kind. */
export type KindResult =
  | 'unchanged'
  | 'applied'
  | 'rolled_back'
  | 'failed'
  | 'removed'
  /** Refused or rolled back before in this process: not tried again until the desired policy changes. */
  | 'skipped'
  | 'repaired'
  /** Drift found and reported, but not repaired (no panel to confirm a firewall against, or given up). */
  | 'drifted';

/**
 * Refusals that the same envelope would meet again: the policy is not
 * fetched and reported again until desired-state names another one (or the
 * agent restarts). Everything else (panel unreachable, nft timing out, a
 * disk error, a user not created yet) is retried on the next heartbeat.
 */
export function isPermanentRefusal(error: unknown): boolean {
  if (error instanceof PolicyError) return true;
  if (error instanceof FirewallError)
    return ['FIREWALL_RULESET_REFUSED', 'FIREWALL_POLICY_UNRENDERABLE', 'FIREWALL_OPTIONS_INVALID'].includes(
      error.code,
    );
  if (error instanceof PolicyApplyError)
    return ['CONFIG_PATH_REFUSED', 'CRYPTO_POLICY_UNSUPPORTED', 'POLICY_STATE_CORRUPT'].includes(error.code);
  return false;
}

/** `CODE: message` for a status report: the stable code first, so the panel and operators can branch on it. */
export function describeFailure(error: unknown): string {
  if (error instanceof PalisadeError) return `${error.code}: ${error.message}`;
  return `AGENT_INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
}

/** One desired policy of one kind: what refusals and reports are keyed by. */
export function desiredKey(
  kind: string,
  policy: { policyId: string; version: number; digest: string },
): string {
  return `${kind}/${policy.policyId}/${policy.version}/${policy.digest}`;
}

/** The policy a status report is about. */
export function reference(policy: { policyId: string; version: number }): {
  policyId: string;
  version: number;
} {
  return { policyId: policy.policyId, version: policy.version };
}

/** The live-state hash of an outcome, as a member to spread into a report (absent when there is none). */
export function liveHash(outcome: { liveStateHash?: string }): { liveStateHash?: string } {
  return outcome.liveStateHash === undefined ? {} : { liveStateHash: outcome.liveStateHash };
}
