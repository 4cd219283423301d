import { isAbsolute } from 'node:path';
import { DEFAULT_AK_HANDLE } from './tpm-attestor.ts';

/** The `attestation:` section of agent.yaml (TPM roots of trust only). */
export interface AttestationSettings {
  /** Default true: a TPM agent attests; false turns it off (the panel then sees no verdicts). */
  readonly enabled: boolean;
  /** The boot event log the kernel exposes; absent → evidence without a log, and the panel says so. */
  readonly eventLogPath: string;
  /** One line naming the platform firmware version (selects firmware-specific reference values); absent → none sent. */
  readonly firmwareVersionPath: string;
  /** Owner persistent handle of the attestation key. */
  readonly akHandle: number;
}

/** A field of agent.yaml at fault, as agent-config.ts collects them. */
export interface AttestationSettingProblem {
  readonly field: string;
  readonly message: string;
}

/** Linux securityfs: the firmware's TCG event log as the kernel copied it from ACPI/UEFI. */
export const DEFAULT_EVENT_LOG_PATH = '/sys/kernel/security/tpm0/binary_bios_measurements';
/** SMBIOS type 0 BIOS version, as the kernel's DMI driver exposes it. */
export const DEFAULT_FIRMWARE_VERSION_PATH = '/sys/class/dmi/id/bios_version';

/**
 * Parses the `attestation:` section (absent = every default), pushing one
 * problem per bad field so agent.yaml is refused with all of them at once.
 */
export function parseAttestationSettings(
  input: unknown,
  problems: AttestationSettingProblem[],
): AttestationSettings {
  let section: Record<string, unknown> = {};
  if (input !== undefined && input !== null) {
    if (typeof input === 'object' && !Array.isArray(input)) section = input as Record<string, unknown>;
    else problems.push({ field: 'attestation', message: 'must be a mapping' });
  }
  for (const key of Object.keys(section)) {
    if (!['enabled', 'eventLogPath', 'firmwareVersionPath', 'akHandle'].includes(key))
      problems.push({ field: `attestation.${key}`, message: 'is not a known setting' });
  }
  const path = (value: unknown, field: string, fallback: string): string => {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) {
      problems.push({ field: `attestation.${field}`, message: 'must be an absolute path' });
      return fallback;
    }
    return value;
  };
  const enabled = section.enabled ?? true;
  if (typeof enabled !== 'boolean')
    problems.push({ field: 'attestation.enabled', message: 'must be true or false' });
  const rawHandle = section.akHandle;
  let akHandle = DEFAULT_AK_HANDLE;
  if (rawHandle !== undefined && rawHandle !== null) {
    const value =
      typeof rawHandle === 'string' && /^0x[0-9a-fA-F]{8}$/.test(rawHandle) ? Number(rawHandle) : Number.NaN;
    // TCG handle registry: owner persistent objects are 0x81000000–0x817FFFFF.
    if (!(value >= 0x81000000 && value <= 0x817fffff))
      problems.push({
        field: 'attestation.akHandle',
        message: 'must be an owner persistent handle 0x81000000–0x817fffff',
      });
    else akHandle = value;
  }
  return {
    enabled: enabled === true,
    eventLogPath: path(section.eventLogPath, 'eventLogPath', DEFAULT_EVENT_LOG_PATH),
    firmwareVersionPath: path(
      section.firmwareVersionPath,
      'firmwareVersionPath',
      DEFAULT_FIRMWARE_VERSION_PATH,
    ),
    akHandle,
  };
}
