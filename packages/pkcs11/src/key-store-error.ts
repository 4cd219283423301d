import { PalisadeError } from '@palisade/core';

/**
 * Why a CA key store could not be opened or used. Messages and details name
 * the URI attribute, token label or key label at fault, never a PIN.
 */
export type KeyStoreErrorCode =
  /** The `pkcs11:` URI is malformed, uses an attribute this panel does not understand, or lacks `module-path`. */
  | 'PKCS11_URI_INVALID'
  /** The PKCS#11 module cannot be loaded or initialised (missing file, wrong architecture, bad SOFTHSM2_CONF). */
  | 'PKCS11_MODULE_UNAVAILABLE'
  /** No initialised token matches the URI's token and slot attributes. */
  | 'PKCS11_TOKEN_NOT_FOUND'
  /** Several tokens, or several keys, match where exactly one is needed. */
  | 'PKCS11_AMBIGUOUS'
  /** The token needs a PIN and the URI gives none, or its `pin-source` file cannot be read. */
  | 'PKCS11_PIN_UNAVAILABLE'
  /** The token refused the PIN (wrong, locked or expired). */
  | 'PKCS11_LOGIN_FAILED'
  /** No private key with that label (and id) on the token. */
  | 'PKCS11_KEY_NOT_FOUND'
  /** A key with that label already exists; creating another would make the label ambiguous. */
  | 'PKCS11_KEY_EXISTS'
  /** The key is not an ECDSA P-256 signing key, or could leave the token (not sensitive, or extractable). */
  | 'PKCS11_KEY_UNSUITABLE'
  /** The token failed an operation (key generation, signing). */
  | 'PKCS11_OPERATION_FAILED'
  /** The key store was closed; its keys can no longer sign. */
  | 'PKCS11_STORE_CLOSED';

export class KeyStoreError extends PalisadeError<KeyStoreErrorCode> {}
