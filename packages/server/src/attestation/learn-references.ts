import type { TcgEventTypeName } from '@palisade/core';
import type { Measurements } from './measurements.ts';
import type { EventReference, ReferenceValues } from './reference-values.ts';

/**
 * Event types whose digest is a boot artifact worth pinning (PFP §10.4.1):
 * firmware blobs, UEFI drivers and applications (shim, bootloader, kernel
 * loaded as an EFI image), and what a bootloader logs as EV_IPL. Separators,
 * actions and variables are covered by the PCR values and Secure Boot.
 */
const LEARNED_TYPES: readonly TcgEventTypeName[] = [
  'EV_S_CRTM_CONTENTS',
  'EV_EFI_PLATFORM_FIRMWARE_BLOB',
  'EV_EFI_PLATFORM_FIRMWARE_BLOB2',
  'EV_POST_CODE',
  'EV_EFI_BOOT_SERVICES_APPLICATION',
  'EV_EFI_BOOT_SERVICES_DRIVER',
  'EV_EFI_RUNTIME_SERVICES_DRIVER',
  'EV_IPL',
];

/**
 * Reference values that accept exactly the boot a known-good device
 * measured ("record golden values"): each quoted PCR's value, the digests of
 * its boot artifacts per type and PCR, and Secure Boot when it was measured
 * as enabled (with data that hashes to its digest).
 */
export function learnReferenceValues(measurements: Measurements): ReferenceValues {
  const pcrs: Record<number, string[]> = {};
  for (const [pcr, value] of Object.entries(measurements.pcrs)) pcrs[Number(pcr)] = [value];
  const rules = new Map<string, { type: TcgEventTypeName; pcr: number; digests: Set<string> }>();
  for (const event of measurements.events ?? []) {
    const type = LEARNED_TYPES.find((name) => name === event.type);
    if (type === undefined || event.sha256 === undefined) continue;
    const key = `${type}@${event.pcr}`;
    const rule = rules.get(key) ?? { type, pcr: event.pcr, digests: new Set<string>() };
    rule.digests.add(event.sha256);
    rules.set(key, rule);
  }
  const events: EventReference[] = [...rules.values()].map((rule) => ({
    type: rule.type,
    pcr: rule.pcr,
    digests: [...rule.digests],
  }));
  const secureBoot = (measurements.events ?? [])
    .filter((event) => event.type === 'EV_EFI_VARIABLE_DRIVER_CONFIG' && event.secureBoot !== undefined)
    .at(-1);
  return {
    pcrs,
    events,
    requireSecureBoot: secureBoot?.secureBoot === true && secureBoot.dataMatchesDigest === true,
  };
}
