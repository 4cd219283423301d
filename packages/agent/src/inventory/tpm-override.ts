import type { RootOfTrustFacts } from '../roots/root-of-trust.ts';
import { known, unknown } from './fact.ts';
import type { Fact, TpmInventory } from './types.ts';

/**
 * TPM facts as a TPM-backed root of trust reports them (it talks to the TPM,
 * so it knows a TPM 2.0's manufacturer and firmware, which sysfs does not).
 * Any other kind of root of trust knows nothing about a TPM: unknown.
 */
export function tpmFromRootOfTrust(facts: RootOfTrustFacts): Fact<TpmInventory> {
  if (facts.kind !== 'tpm') return unknown(`root of trust is ${facts.kind}, not a TPM`);
  return known({
    present: true,
    version: unknown('root of trust does not report the TPM version'),
    manufacturer:
      facts.manufacturer === undefined
        ? unknown('root of trust did not report a manufacturer')
        : known(facts.manufacturer),
    firmwareVersion:
      facts.firmwareVersion === undefined
        ? unknown('root of trust did not report a firmware version')
        : known(facts.firmwareVersion),
  });
}

/**
 * Combines a caller's TPM facts with what sysfs shows: a known field of the
 * override wins, sysfs fills the rest. An unknown override changes nothing.
 */
export function mergeTpm(
  override: Fact<TpmInventory> | undefined,
  probed: Fact<TpmInventory>,
): Fact<TpmInventory> {
  if (override === undefined || !override.known) return probed;
  if (!override.value.present || !probed.known || !probed.value.present) return override;
  const o = override.value;
  const p = probed.value;
  return known({
    present: true,
    version: o.version.known ? o.version : p.version,
    manufacturer: o.manufacturer.known ? o.manufacturer : p.manufacturer,
    firmwareVersion: o.firmwareVersion.known ? o.firmwareVersion : p.firmwareVersion,
  });
}
