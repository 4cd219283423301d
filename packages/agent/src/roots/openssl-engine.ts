import { RootOfTrustError } from './root-of-trust-error.ts';

/** Where Debian's libengine-pkcs11-openssl installs libp11's `pkcs11.so` engine. */
export const DEBIAN_OPENSSL_ENGINES_DIR = '/usr/lib/x86_64-linux-gnu/engines-3';

/**
 * Sets the process-wide environment OpenSSL's libp11 engine reads when Node
 * first loads it (`PKCS11_MODULE_PATH`, `OPENSSL_ENGINES`, …). The engine
 * is loaded once per process, by id, so these can be set once: a second root
 * of trust asking for other values is a configuration error, not a silent
 * switch of every TLS key in the process.
 */
export function claimEngineEnvironment(wanted: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(wanted)) {
    const current = process.env[name];
    if (current !== undefined && current !== value) {
      throw new RootOfTrustError(
        'ROT_CONFIG_INVALID',
        `${name} is already set to a different value in this process; this key store needs ${name}=${value}`,
      );
    }
  }
  for (const [name, value] of Object.entries(wanted)) process.env[name] = value;
}
