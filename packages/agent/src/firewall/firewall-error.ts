import { PalisadeError } from '@palisade/core';

/**
 * Why the endpoint firewall (SC-2) could not render, check, apply, confirm or
 * roll back a ruleset. Messages name the rule and field at fault or carry
 * nft's own (trimmed) complaint; a firewall policy holds no secrets, and the
 * agent never hands nft anything else.
 */
export type FirewallErrorCode =
  /** A policy value cannot be rendered safely (malformed CIDR, interface name, port, empty list); `details.problems` names each. */
  | 'FIREWALL_POLICY_UNRENDERABLE'
  /** nft refused the script (`nft -c` or `nft -f`); `details.stderr` carries its message. The previous ruleset is still in force. */
  | 'FIREWALL_RULESET_REFUSED'
  /** nft could not be run, timed out, answered garbage, or failed to list or delete the table. */
  | 'FIREWALL_COMMAND_FAILED'
  /** `apply` was called while an earlier application still awaits `confirm` (or a restart left one: call `recover`). */
  | 'FIREWALL_CONFIRMATION_PENDING'
  /** `confirm` was called with nothing awaiting confirmation, or after the deadline (the dead-man switch rolls back). */
  | 'FIREWALL_NOT_PENDING'
  /** Restoring the previous table failed; the pending record is kept so the next start tries again. */
  | 'FIREWALL_ROLLBACK_FAILED'
  /** The firewall state file is unreadable, unwritable or not what this agent writes. */
  | 'FIREWALL_STATE_CORRUPT'
  /** Options out of range (e.g. a confirmation window that is not a positive number of milliseconds). */
  | 'FIREWALL_OPTIONS_INVALID';

export class FirewallError extends PalisadeError<FirewallErrorCode> {}
