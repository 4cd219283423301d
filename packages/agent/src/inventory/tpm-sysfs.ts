import type { TpmVersion } from './types.ts';

export interface TpmCaps {
  readonly manufacturer?: string;
  readonly firmwareVersion?: string;
  readonly version?: TpmVersion;
}

/**
 * Parses `/sys/class/tpm/tpm0/device/caps`, which the kernel's TPM 1.2 driver
 * writes (drivers/char/tpm/tpm-sysfs.c `caps_show`):
 * `Manufacturer: 0x49465800`, `TCG version: 1.2`, `Firmware version: 6.40`.
 */
export function parseTpmCaps(text: string): TpmCaps {
  const caps: { manufacturer?: string; firmwareVersion?: string; version?: TpmVersion } = {};
  for (const line of text.slice(0, 4096).split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (value === '') continue;
    if (key === 'Manufacturer') caps.manufacturer = decodeTpmVendorId(value);
    else if (key === 'Firmware version') caps.firmwareVersion = value;
    else if (key === 'TCG version' && value === '1.2') caps.version = '1.2';
  }
  return caps;
}

/**
 * TCG vendor IDs are four ASCII bytes (TCG Vendor ID Registry): 0x49465800 is
 * "IFX". Printed as text when printable, else left as the hex the kernel gave.
 */
export function decodeTpmVendorId(value: string): string {
  if (!/^0x[0-9a-fA-F]{1,8}$/.test(value)) return value;
  const id = Number.parseInt(value.slice(2), 16);
  const bytes = [id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff].filter((b) => b !== 0);
  const printable = bytes.length > 0 && bytes.every((b) => b >= 0x20 && b < 0x7f);
  return printable ? String.fromCharCode(...bytes).trim() : value;
}

/** `tpm_version_major` (Linux 5.6+): `1` is a TPM 1.2, `2` a TPM 2.0. */
export function tpmVersionFromMajor(text: string): TpmVersion | undefined {
  const major = text.trim();
  return major === '2' ? '2.0' : major === '1' ? '1.2' : undefined;
}

/** ACPI `description` of the TPM device, e.g. "TPM 2.0 Device" (MSFT0101). */
export function tpmVersionFromDescription(text: string): TpmVersion | undefined {
  if (/\bTPM\s*2\.0\b/i.test(text)) return '2.0';
  if (/\bTPM\s*1\.2\b/i.test(text)) return '1.2';
  return undefined;
}
