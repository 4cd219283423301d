import { PalisadeError } from '@palisade/core';

/**
 * Why a root of trust could not be opened or used. Shared by every kind
 * (software, PKCS#11, TPM). Messages name the RoT, the key label or the
 * configuration field at fault, never a PIN, an authorization value or key
 * material.
 */
export type RootOfTrustErrorCode =
  /** The RoT cannot be reached: no TPM behind the TCTI, PKCS#11 module or token missing, tool not installed. */
  | 'ROT_UNAVAILABLE'
  /** Stored key material or its index is unreadable, or the RoT holds a different key than the one recorded. */
  | 'ROT_KEY_CORRUPT'
  /** The RoT was reachable but refused or failed an operation (key generation, signing, eviction). */
  | 'ROT_OPERATION_FAILED'
  /** The configuration asks for something impossible: a malformed label, a handle outside its range, conflicting process-wide settings. */
  | 'ROT_CONFIG_INVALID'
  /** The key exists but this process cannot use it for TLS until it restarts (tpm2-pkcs11 reads its keys once). */
  | 'ROT_RESTART_REQUIRED';

export class RootOfTrustError extends PalisadeError<RootOfTrustErrorCode> {}
