/**
 * Test-only: a small UEFI boot as a TCG event log (firmware blob, Secure Boot
 * state, shim and kernel loaded as EFI applications, separators), built with
 * the testkit's EventLogBuilder so tests can extend the same digests into swtpm.
 */
import { createHash } from 'node:crypto';
import { EventLogBuilder, type EventLogEntry } from '@palisade/testkit';

/** EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c in its in-memory (mixed-endian) layout. */
const EFI_GLOBAL_VARIABLE = Uint8Array.of(
  0x61,
  0xdf,
  0xe4,
  0x8b,
  0xca,
  0x93,
  0xd2,
  0x11,
  0xaa,
  0x0d,
  0x00,
  0xe0,
  0x98,
  0x03,
  0x2b,
  0x8c,
);

function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(value));
  return bytes;
}

function utf16(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

/** PFP §10.2.6 UEFI_VARIABLE_DATA for SecureBoot (1 = enabled). */
export function secureBootVariable(enabled: boolean): Uint8Array {
  const name = utf16('SecureBoot');
  return Buffer.concat([EFI_GLOBAL_VARIABLE, u64(10), u64(1), name, Uint8Array.of(enabled ? 1 : 0)]);
}

/** PFP §10.2.3 UEFI_IMAGE_LOAD_EVENT with a media file-path device path node (UEFI 2.10 §10.3.5.4). */
export function imageLoadEvent(path: string): Uint8Array {
  const pathBytes = Buffer.concat([utf16(path), Buffer.alloc(2)]);
  const node = Buffer.concat([Uint8Array.of(0x04, 0x04), u16(4 + pathBytes.length), pathBytes]);
  const devicePath = Buffer.concat([node, Uint8Array.of(0x7f, 0xff, 0x04, 0x00)]);
  return Buffer.concat([u64(0x7e000000), u64(0x100000), u64(0), u64(devicePath.length), devicePath]);
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

/** Digests of a boot artifact's bytes in both banks, as firmware measures an image (Authenticode hash stand-in). */
export function artifactDigests(content: string): { sha1: string; sha256: string } {
  return {
    sha1: createHash('sha1').update(content).digest('hex'),
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

/** An EFI application load of `path` whose image is `content`. */
export function application(pcr: number, path: string, content: string): EventLogEntry {
  return {
    pcr,
    type: 'EV_EFI_BOOT_SERVICES_APPLICATION',
    data: imageLoadEvent(path),
    digests: artifactDigests(content),
  };
}

/**
 * A boot extending PCRs 0, 2, 4 and 7 (PCRs 1, 3, 5, 6 stay at zero, which
 * the replay expects of PCRs the log never touches).
 */
export function bootLog(options: { secureBoot?: boolean; kernel?: string } = {}): EventLogBuilder {
  return new EventLogBuilder()
    .add({ pcr: 0, type: 'EV_S_CRTM_VERSION', data: utf16('1.0\0') })
    .add({
      pcr: 0,
      type: 'EV_EFI_PLATFORM_FIRMWARE_BLOB',
      data: Buffer.concat([u64(0xff000000), u64(0x10000)]),
      digests: artifactDigests('firmware volume'),
    })
    .add({
      pcr: 7,
      type: 'EV_EFI_VARIABLE_DRIVER_CONFIG',
      data: secureBootVariable(options.secureBoot ?? true),
    })
    .add({
      pcr: 2,
      type: 'EV_EFI_BOOT_SERVICES_DRIVER',
      data: imageLoadEvent('\\NIC.EFI'),
      digests: artifactDigests('option rom'),
    })
    .add({ pcr: 7, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
    .add({ pcr: 0, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
    .add({ pcr: 2, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
    .add({ pcr: 4, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
    .add(application(4, '\\EFI\\BOOT\\BOOTX64.EFI', 'shim 15.8'))
    .add(application(4, '\\EFI\\debian\\vmlinuz', options.kernel ?? 'linux 6.1.0'));
}
