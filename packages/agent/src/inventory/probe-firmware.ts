import { readDirFact, readFileFact, readLineFact, readTextFact } from './bounded-read.ts';
import { EFI_GLOBAL_VARIABLE_GUID, parseEfiBooleanVariable, secureBootState } from './efivar.ts';
import { known, unknown } from './fact.ts';
import { parseTpmCaps, tpmVersionFromDescription, tpmVersionFromMajor } from './tpm-sysfs.ts';
import type { Fact, SecureBootState, TpmInventory } from './types.ts';

const EFI_DIR = '/sys/firmware/efi';
const EFIVARS_DIR = '/sys/firmware/efi/efivars';

/** Secure Boot from efivarfs. /sys/firmware/efi exists only when the kernel was booted by UEFI firmware. */
export async function probeSecureBoot(root: string): Promise<Fact<SecureBootState>> {
  const efi = await readDirFact(root, EFI_DIR);
  if (!efi.known) {
    return unknown(efi.reason.endsWith('not found') ? `not running on UEFI (${EFI_DIR} absent)` : efi.reason);
  }
  const variables = await readDirFact(root, EFIVARS_DIR);
  if (!variables.known || variables.value.length === 0)
    return unknown(`efivarfs not mounted at ${EFIVARS_DIR}`);
  const [secureBoot, setupMode] = await Promise.all([
    readEfiBoolean(root, 'SecureBoot'),
    readEfiBoolean(root, 'SetupMode'),
  ]);
  return secureBootState(secureBoot, setupMode);
}

async function readEfiBoolean(root: string, name: string): Promise<Fact<boolean>> {
  const path = `${EFIVARS_DIR}/${name}-${EFI_GLOBAL_VARIABLE_GUID}`;
  const bytes = await readFileFact(root, path, 64);
  if (!bytes.known) {
    // UEFI spec §3.3: firmware without Secure Boot support (pre-2.3.1) does not define the variable.
    return bytes.reason.endsWith('not found')
      ? unknown(`EFI variable ${name} not defined by the firmware`)
      : bytes;
  }
  return parseEfiBooleanVariable(bytes.value, name);
}

const TPM_CLASS = '/sys/class/tpm';
const TPM0 = '/sys/class/tpm/tpm0';
const NO_TPM2_SYSFS = 'not exposed in sysfs for a TPM 2.0; the root of trust can supply it';

/**
 * TPM presence from the kernel's tpm class. An empty /sys/class/tpm means a
 * TPM-capable kernel found no TPM; no /sys/class/tpm at all means no TPM
 * driver is loaded, which says nothing about the hardware.
 */
export async function probeTpm(root: string): Promise<Fact<TpmInventory>> {
  const devices = await readDirFact(root, TPM_CLASS);
  if (!devices.known) {
    return unknown(
      devices.reason.endsWith('not found') ? `no TPM driver loaded (${TPM_CLASS} absent)` : devices.reason,
    );
  }
  if (!devices.value.includes('tpm0')) return known({ present: false });

  const [major, caps, description] = await Promise.all([
    readLineFact(root, `${TPM0}/tpm_version_major`),
    readTextFact(root, `${TPM0}/device/caps`, 4096),
    readLineFact(root, `${TPM0}/device/description`),
  ]);
  // caps exists only for TPM 1.2 (drivers/char/tpm/tpm-sysfs.c); TPM 2.0 needs TPM2_GetCapability.
  const parsedCaps = caps.known ? parseTpmCaps(caps.value) : {};
  const version =
    (major.known ? tpmVersionFromMajor(major.value) : undefined) ??
    parsedCaps.version ??
    (description.known ? tpmVersionFromDescription(description.value) : undefined);
  const missing = (what: string): Fact<string> =>
    version === '2.0'
      ? unknown(`TPM ${what} ${NO_TPM2_SYSFS}`)
      : unknown(`TPM ${what} not in ${TPM0}/device/caps`);
  return known({
    present: true,
    version: version === undefined ? unknown(`TPM version not in ${TPM0}`) : known(version),
    manufacturer:
      parsedCaps.manufacturer === undefined ? missing('manufacturer') : known(parsedCaps.manufacturer),
    firmwareVersion:
      parsedCaps.firmwareVersion === undefined
        ? missing('firmware version')
        : known(parsedCaps.firmwareVersion),
  });
}
