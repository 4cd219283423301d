/**
 * The `firewall` kind (SC-2) on NftablesFirewall, driven as its header says:
 * recover at start, apply with a dead-man window, confirm only after the
 * agent reached its panel over a new connection under the new rules, and on
 * each heartbeat compare the live table with what was applied.
 */
import {
  assertFirewallKeepsPanelReachable,
  type FirewallPolicy,
  type PanelReachability,
} from '@palisade/core';
import { FirewallError } from '../firewall/firewall-error.ts';
import type { FirewallRecovery, NftablesFirewall } from '../firewall/nftables-firewall.ts';
import { sleep } from '../state/backoff.ts';
import type { PolicyPanel } from './panel-link.ts';
import type { ApplyOutcome, LiveDrift, PolicyApplier } from './policy-applier.ts';
import { PolicyApplyError } from './policy-apply-error.ts';

export interface FirewallApplierOptions {
  readonly firewall: NftablesFirewall;
  /** The panel's addresses and ports, resolved at each apply. */
  readonly panelEndpoints: () => Promise<PanelReachability>;
  readonly confirmWithinMs: number;
  /** Pause between reachability probes inside the window. Default 1 s. */
  readonly probeIntervalMs?: number;
  /** Aborted when the agent stops: probing ends, and the record makes the next start roll back. */
  readonly signal?: AbortSignal;
}

export class FirewallApplier implements PolicyApplier<'firewall'> {
  readonly kind = 'firewall';
  readonly #o: FirewallApplierOptions;

  constructor(options: FirewallApplierOptions) {
    this.#o = options;
  }

  /** At agent start, before anything reaches the network: an unconfirmed table from the last run goes. */
  recover(): Promise<FirewallRecovery> {
    return this.#o.firewall.recover();
  }

  async apply(document: FirewallPolicy, panel: PolicyPanel): Promise<ApplyOutcome> {
    const reachability = await this.#o.panelEndpoints();
    // The panel refuses such a policy at authoring; this device may reach its panel elsewhere (DNS above all).
    assertFirewallKeepsPanelReachable(document, reachability);
    const { firewall, confirmWithinMs } = this.#o;
    const application = await firewall.apply(document, reachability.endpoints, { confirmWithinMs });
    if (await this.#reachBefore(application.deadline, panel)) {
      try {
        await firewall.confirm();
        return { outcome: 'applied', liveStateHash: application.appliedHash };
      } catch (error) {
        // Reached just after the deadline: the switch is already rolling back.
        if (!(error instanceof FirewallError && error.code === 'FIREWALL_NOT_PENDING')) throw error;
      }
    }
    const settlement = await application.settled;
    switch (settlement.outcome) {
      case 'confirmed':
        return { outcome: 'applied', liveStateHash: settlement.activeHash };
      case 'rolled_back':
        return {
          outcome: 'rolled_back',
          liveStateHash: settlement.activeHash,
          reason: new PolicyApplyError(
            'POLICY_NOT_CONFIRMED',
            `the panel was not reached within ${confirmWithinMs} ms of applying the ruleset; the ${settlement.restored === 'absent' ? 'device went back to no Palisade table' : 'previous table was restored'}`,
          ),
        };
      case 'rollback_failed':
        throw settlement.error;
      case 'removed':
      case 'interrupted':
        throw new PolicyApplyError(
          'POLICY_APPLY_INTERRUPTED',
          `the firewall application was ${settlement.outcome}`,
        );
    }
  }

  remove(): Promise<void> {
    return this.#o.firewall.remove();
  }

  async drift(_document: FirewallPolicy, expected: string | undefined): Promise<LiveDrift | undefined> {
    const found = await this.#o.firewall.detectDrift();
    // Judged against the hash this policy produced, not the firewall's record: after a rolled-back
    // repair the firewall expects the restored table, the policy still does not.
    const want = expected ?? found.expected;
    if (found.actual === want) return undefined;
    return {
      expected: want,
      actual: found.actual,
      message: `the live table inet palisade (${found.actual.slice(0, 12)}…) is not the applied ruleset (${want.slice(0, 12)}…)`,
      event: {
        type: 'firewall.drift',
        severity: 6,
        body: {
          message: 'The live firewall ruleset differs from the applied policy',
          expectedHash: want,
          actualHash: found.actual,
        },
      },
    };
  }

  /** Stops waiting on a pending application (agent stopping); the next start's recover() rolls it back. */
  close(): void {
    this.#o.firewall.close();
  }

  async #reachBefore(deadline: Date, panel: PolicyPanel): Promise<boolean> {
    const interval = this.#o.probeIntervalMs ?? 1_000;
    while (Date.now() < deadline.getTime() && !this.#o.signal?.aborted) {
      try {
        await panel.reach();
        return Date.now() < deadline.getTime();
      } catch {
        await sleep(Math.min(interval, Math.max(0, deadline.getTime() - Date.now())), this.#o.signal);
      }
    }
    return false;
  }
}
