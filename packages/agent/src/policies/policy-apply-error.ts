import { PalisadeError } from '@palisade/core';

/**
 * Why the agent did not apply, keep or report a policy (PD-1, PD-2). Refusals
 * of the envelope itself (signature, signer, version, schema) are the core's
 * PolicyError codes; the firewall's own are FirewallError codes. Messages name
 * the path, key or file at fault and never carry file contents.
 */
export type PolicyApplyErrorCode =
  /** desired-state's `policies` member is not a map of kind → { policyId, version, digest }. */
  | 'POLICY_DESIRED_INVALID'
  /** The envelope the panel served is not the policyId, version and digest desired-state named. */
  | 'POLICY_DIGEST_MISMATCH'
  /** The panel's policy trust answer is malformed, or a key does not match its keyId or algorithm. */
  | 'POLICY_TRUST_INVALID'
  /** A policy state file (pinned trust, applied versions, envelopes, status queue) is unreadable or not ours. */
  | 'POLICY_STATE_CORRUPT'
  /** After applying, the agent could not reach its panel before the deadline: the previous state came back. */
  | 'POLICY_NOT_CONFIRMED'
  /** A restart interrupted the application; the previous state is in force (or is repaired as drift). */
  | 'POLICY_APPLY_INTERRUPTED'
  /** A config file path is outside the allowed directories, crosses a symbolic link, or is not a regular file. */
  | 'CONFIG_PATH_REFUSED'
  /** A config file's owner or group does not exist on the device. */
  | 'CONFIG_OWNER_UNKNOWN'
  /** Writing a config file failed (disk, permissions); the files written so far were put back. */
  | 'CONFIG_WRITE_FAILED'
  /** This device's TLS library cannot do what the crypto policy asks (a suite, group, or the FIPS provider). */
  | 'CRYPTO_POLICY_UNSUPPORTED'
  /** Writing the OpenSSL configuration include failed. */
  | 'CRYPTO_INCLUDE_FAILED';

export class PolicyApplyError extends PalisadeError<PolicyApplyErrorCode> {}
