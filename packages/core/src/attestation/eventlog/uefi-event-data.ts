/**
 * Best-effort readers of the UEFI structures PFP §10.2 puts in event data.
 * They run on untrusted bytes through a ByteReader that treats any overrun
 * as EVENT_LOG_MALFORMED; decodeEventData turns that into "not decoded".
 */
import { ByteReader } from './byte-reader.ts';
import type { DecodedEventData } from './event-log.ts';
import { decodeUtf16, formatGuid } from './event-text.ts';

/** EFI_GLOBAL_VARIABLE (UEFI 2.10 §3.3): SecureBoot, PK, KEK, BootOrder, Boot#### live under it. */
const EFI_GLOBAL_VARIABLE = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
const MAX_BOOT_ORDER_ENTRIES = 256;

function eventDataReader(data: Uint8Array): ByteReader {
  return new ByteReader(data, { shortRead: 'EVENT_LOG_MALFORMED' });
}

/** A u64 length as a number, if it can index a buffer at all. */
function lengthOf(value: bigint): number | undefined {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

function address(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/**
 * PFP §10.2.6 UEFI_VARIABLE_DATA: VariableName (GUID), UnicodeNameLength and
 * VariableDataLength (u64), UnicodeName (CHAR16), VariableData.
 */
export function decodeUefiVariable(data: Uint8Array): DecodedEventData | undefined {
  const reader = eventDataReader(data);
  const variableGuid = formatGuid(reader.bytes(16, 'VariableName'));
  const nameLength = lengthOf(reader.u64('UnicodeNameLength'));
  const dataLength = lengthOf(reader.u64('VariableDataLength'));
  if (nameLength === undefined || dataLength === undefined || nameLength > reader.remaining / 2)
    return undefined;
  const unicodeName = decodeUtf16(reader.bytes(nameLength * 2, 'UnicodeName'));
  if (unicodeName === undefined) return undefined;
  const value = reader.bytes(dataLength, 'VariableData');
  const base = { kind: 'uefi-variable', variableGuid, unicodeName, variableDataLength: dataLength } as const;
  if (variableGuid !== EFI_GLOBAL_VARIABLE) return base;
  if (unicodeName === 'SecureBoot' && value.length === 1 && (value[0] === 0 || value[0] === 1)) {
    return { ...base, secureBoot: value[0] === 1 };
  }
  if (unicodeName === 'BootOrder' && value.length % 2 === 0 && value.length / 2 <= MAX_BOOT_ORDER_ENTRIES) {
    const order = eventDataReader(value);
    return { ...base, bootOrder: Array.from({ length: value.length / 2 }, () => order.u16('BootOrder')) };
  }
  if (/^Boot[0-9A-F]{4}$/.test(unicodeName)) {
    const description = loadOptionDescription(value);
    return description === undefined ? base : { ...base, bootOptionDescription: description };
  }
  return base;
}

/** EFI_LOAD_OPTION (UEFI 2.10 §3.1.3): Attributes u32, FilePathListLength u16, NUL-terminated CHAR16 Description. */
function loadOptionDescription(option: Uint8Array): string | undefined {
  const reader = eventDataReader(option);
  reader.u32('Attributes');
  reader.u16('FilePathListLength');
  const start = reader.offset;
  for (let end = start; end + 1 < option.length; end += 2) {
    if (option[end] === 0 && option[end + 1] === 0) return decodeUtf16(option.subarray(start, end));
  }
  return undefined;
}

/** PFP §10.2.3 UEFI_IMAGE_LOAD_EVENT: where the PE/COFF image was loaded, and its UEFI device path. */
export function decodeImageLoad(data: Uint8Array): DecodedEventData | undefined {
  const reader = eventDataReader(data);
  const imageLocation = address(reader.u64('ImageLocationInMemory'));
  const imageLength = lengthOf(reader.u64('ImageLengthInMemory'));
  const linkTimeAddress = address(reader.u64('ImageLinkTimeAddress'));
  const devicePathLength = lengthOf(reader.u64('LengthOfDevicePath'));
  if (imageLength === undefined || devicePathLength === undefined) return undefined;
  const filePath = filePathOf(reader.bytes(devicePathLength, 'DevicePath'));
  const decoded = {
    kind: 'uefi-image-load',
    imageLocation,
    imageLength,
    linkTimeAddress,
    devicePathLength,
  } as const;
  return filePath === undefined ? decoded : { ...decoded, filePath };
}

/**
 * The file path nodes (type 4 Media, sub-type 4 File Path, UEFI 2.10
 * §10.3.5.4) of a device path, joined. Each node is at least its 4-byte
 * header, so the walk ends after at most length / 4 nodes.
 */
function filePathOf(devicePath: Uint8Array): string | undefined {
  const parts: string[] = [];
  let offset = 0;
  while (offset + 4 <= devicePath.length) {
    const type = devicePath[offset];
    const subType = devicePath[offset + 1];
    const length = (devicePath[offset + 2] ?? 0) | ((devicePath[offset + 3] ?? 0) << 8);
    if (length < 4 || offset + length > devicePath.length) break;
    if (type === 0x7f && subType === 0xff) break; // End of Hardware Device Path
    if (type === 0x04 && subType === 0x04) {
      const part = decodeUtf16(devicePath.subarray(offset + 4, offset + length));
      if (part !== undefined) parts.push(part);
    }
    offset += length;
  }
  if (parts.length === 0) return undefined;
  return parts.reduce((path, part) =>
    path.endsWith('\\') || part.startsWith('\\') ? path + part : `${path}\\${part}`,
  );
}

/** PFP §10.2.5 UEFI_PLATFORM_FIRMWARE_BLOB: BlobBase and BlobLength, 16 bytes exactly. */
export function decodeFirmwareBlob(data: Uint8Array): DecodedEventData | undefined {
  if (data.length !== 16) return undefined;
  const reader = eventDataReader(data);
  const blobBase = address(reader.u64('BlobBase'));
  const blobLength = lengthOf(reader.u64('BlobLength'));
  return blobLength === undefined ? undefined : { kind: 'firmware-blob', blobBase, blobLength };
}
