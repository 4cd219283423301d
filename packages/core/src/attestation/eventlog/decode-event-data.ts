import type { DecodedEventData } from './event-log.ts';
import { EventLogError } from './event-log.ts';
import { decodeText, formatGuid } from './event-text.ts';
import { TCG_EVENT_TYPES as EV } from './event-types.ts';
import { decodeNoAction } from './no-action-event.ts';
import { decodeFirmwareBlob, decodeImageLoad, decodeUefiVariable } from './uefi-event-data.ts';

type Decoder = (data: Uint8Array, base: number) => DecodedEventData | undefined;

const text: Decoder = (data) => {
  const value = decodeText(data);
  return value === undefined ? undefined : { kind: 'text', text: value };
};

/** PFP §10.4.1: EV_SEPARATOR holds 0x00000000, or 0xFFFFFFFF when firmware hit an error. */
const separator: Decoder = (data) => {
  if (data.length !== 4) return undefined;
  if (data.every((b) => b === 0)) return { kind: 'separator', error: false };
  if (data.every((b) => b === 0xff)) return { kind: 'separator', error: true };
  return undefined;
};

/** PFP §10.4.1: the S-CRTM version is a UCS-2 string, or a GUID. */
const crtmVersion: Decoder = (data, base) =>
  text(data, base) ?? (data.length === 16 ? { kind: 'guid', guid: formatGuid(data) } : undefined);

/** PFP §10.4.1: EV_POST_CODE is a string ("POST CODE", "ACPI DATA" …) or a UEFI_PLATFORM_FIRMWARE_BLOB. */
const postCode: Decoder = (data, base) => text(data, base) ?? decodeFirmwareBlob(data);

const DECODERS: ReadonlyMap<number, Decoder> = new Map<number, Decoder>([
  [EV.EV_NO_ACTION, decodeNoAction],
  [EV.EV_SEPARATOR, separator],
  [EV.EV_S_CRTM_VERSION, crtmVersion],
  [EV.EV_POST_CODE, postCode],
  [EV.EV_S_CRTM_CONTENTS, decodeFirmwareBlob],
  [EV.EV_EFI_PLATFORM_FIRMWARE_BLOB, decodeFirmwareBlob],
  [EV.EV_IPL, text],
  [EV.EV_ACTION, text],
  [EV.EV_EFI_ACTION, text],
  [EV.EV_COMPACT_HASH, text],
  [EV.EV_NONHOST_INFO, text],
  [EV.EV_OMIT_BOOT_DEVICE_EVENTS, text],
  [EV.EV_EFI_HCRTM_EVENT, text],
  [EV.EV_EFI_VARIABLE_DRIVER_CONFIG, decodeUefiVariable],
  [EV.EV_EFI_VARIABLE_BOOT, decodeUefiVariable],
  [EV.EV_EFI_VARIABLE_BOOT2, decodeUefiVariable],
  [EV.EV_EFI_VARIABLE_AUTHORITY, decodeUefiVariable],
  [EV.EV_EFI_SPDM_DEVICE_POLICY, decodeUefiVariable],
  [EV.EV_EFI_BOOT_SERVICES_APPLICATION, decodeImageLoad],
  [EV.EV_EFI_BOOT_SERVICES_DRIVER, decodeImageLoad],
  [EV.EV_EFI_RUNTIME_SERVICES_DRIVER, decodeImageLoad],
]);

/**
 * A best-effort reading of an event's data for people (the CLI, the
 * dashboard): undefined when the type has no decoder or the data does not
 * have the shape the spec gives it. Firmware is sloppy here, so a misshapen
 * event field is not an error: the digests, not this, are what replay uses.
 */
export function decodeEventData(type: number, data: Uint8Array, base: number): DecodedEventData | undefined {
  const decoder = DECODERS.get(type);
  if (decoder === undefined || data.length === 0) return undefined;
  try {
    return decoder(data, base);
  } catch (error) {
    if (error instanceof EventLogError) return undefined;
    throw error;
  }
}
