import { known, unknown } from './fact.ts';
import type { Fact, SecureBootState } from './types.ts';

/** EFI_GLOBAL_VARIABLE (UEFI spec §3.3), the namespace of SecureBoot and SetupMode. */
export const EFI_GLOBAL_VARIABLE_GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c';

/**
 * Parses a one-byte boolean UEFI variable as efivarfs presents it: a 4-byte
 * little-endian attributes word, then the data. SecureBoot and SetupMode are
 * UINT8 0 or 1 (UEFI spec §3.3); any other length or value is malformed.
 */
export function parseEfiBooleanVariable(bytes: Uint8Array, name: string): Fact<boolean> {
  if (bytes.length !== 5) return unknown(`EFI variable ${name} has ${bytes.length} bytes, expected 5`);
  const data = bytes[4];
  if (data === 0) return known(false);
  if (data === 1) return known(true);
  return unknown(`EFI variable ${name} has value ${String(data)}, expected 0 or 1`);
}

/**
 * UEFI spec §32.3: in setup mode (SetupMode=1, no platform key) signatures
 * are not enforced; otherwise SecureBoot=1 means images are verified. With
 * SecureBoot=0 and SetupMode unreadable the state is still `disabled`, which
 * is true either way; with SecureBoot unreadable nothing is claimed.
 */
export function secureBootState(secureBoot: Fact<boolean>, setupMode: Fact<boolean>): Fact<SecureBootState> {
  if (setupMode.known && setupMode.value) return known('setup-mode');
  if (!secureBoot.known) return secureBoot;
  return known(secureBoot.value ? 'enabled' : 'disabled');
}
