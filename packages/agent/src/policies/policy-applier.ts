import type { PolicyDocuments, PolicyKind } from '@palisade/core';
import type { JsonValue } from '../outbox/index.ts';
import type { PolicyPanel } from './panel-link.ts';
import type { PolicyApplyError } from './policy-apply-error.ts';

/** How an application ended when it did not throw. */
export type ApplyOutcome =
  | { readonly outcome: 'applied'; readonly liveStateHash?: string }
  /** Applied, then taken back because the panel could not be reached over it: report `rolled_back`. */
  | { readonly outcome: 'rolled_back'; readonly liveStateHash?: string; readonly reason: PolicyApplyError };

/** Live state that no longer matches the applied policy. */
export interface LiveDrift {
  readonly expected: string;
  readonly actual: string;
  /** For the status report: what differs (paths, not contents). */
  readonly message: string;
  /** The outbox event raised once per distinct drifted state. */
  readonly event: {
    readonly type: string;
    readonly severity: number;
    readonly body: Record<string, JsonValue>;
  };
}

/**
 * Puts one kind of policy in force on the device. `apply` either succeeds,
 * returns `rolled_back`, or throws, and in the last two cases the previous
 * live state is what is in force.
 */
export interface PolicyApplier<K extends PolicyKind> {
  readonly kind: K;
  apply(document: PolicyDocuments[K], panel: PolicyPanel): Promise<ApplyOutcome>;
  /** After a commit, at start for the stored policy, and with undefined after removal: the in-memory side. */
  activate?(document: PolicyDocuments[K] | undefined): void;
  /** The kind is no longer assigned: undo what the agent manages for it (firewall table, include). */
  remove(): Promise<void>;
  /** Compares the live state with the hash recorded when `document` was applied. */
  drift?(document: PolicyDocuments[K], expected: string | undefined): Promise<LiveDrift | undefined>;
  /** Puts the live state back after drift; default `apply`. */
  repair?(document: PolicyDocuments[K], panel: PolicyPanel): Promise<ApplyOutcome>;
}

/** Any applier, for the client's table of kinds. */
export type AnyPolicyApplier = { [K in PolicyKind]: PolicyApplier<K> }[PolicyKind];
