import { PalisadeError } from '@palisade/core';

export type AgentErrorCode =
  /** The agent's configuration file is missing, unreadable or invalid; every bad field is named. */
  | 'AGENT_CONFIG_INVALID'
  /** A state file (identity, certificates) is unreadable or inconsistent; the agent keeps it and says which. */
  | 'AGENT_STATE_CORRUPT'
  /** No panel answered: connection refused, TLS handshake failed (e.g. not the pinned CA), timeout. */
  | 'PANEL_UNREACHABLE'
  /** A panel answered something that is not what the protocol allows (garbage, wrong type, oversized). */
  | 'PANEL_ANSWER_INVALID'
  /** The panel refused the request with a problem document; `details` carry status and problem code. */
  | 'PANEL_REFUSED'
  /** The agent has no identity yet and no way to get one (no bootstrap credential configured). */
  | 'IDENTITY_MISSING'
  /** The panel refused the device's certificate as revoked, unknown or decommissioned. */
  | 'IDENTITY_REFUSED';

/** Why the agent could not do something; messages never carry tokens, PINs or key material. */
export class AgentError extends PalisadeError<AgentErrorCode> {}
