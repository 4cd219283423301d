/**
 * Text inside event data (EV_IPL command lines, EV_EFI_ACTION strings, UEFI
 * variable names, S-CRTM versions). Firmware writes ASCII or UTF-8, often
 * NUL-terminated; UEFI code (and systemd-boot's EV_IPL) writes UCS-2. A value
 * is text only if it decodes cleanly and holds no control characters other
 * than TAB, LF and CR, so that binary data is never shown as garbage text.
 */
import { TextDecoder } from 'node:util';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF16LE = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });

/**
 * Controls other than TAB, LF, CR; format characters (bidi overrides, zero
 * widths, BOM), which make a line read differently from what it holds;
 * private-use and unassigned code points, which binary data decodes to.
 */
const NOT_TEXT = /[^\P{Cc}\t\n\r]|[\p{Cf}\p{Co}\p{Cn}]/u;

function isPrintable(text: string): boolean {
  return text.length > 0 && text.isWellFormed() && !NOT_TEXT.test(text);
}

function withoutTrailingNuls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end -= 1;
  return text.slice(0, end);
}

function decodeWith(decoder: TextDecoder, bytes: Uint8Array): string | undefined {
  try {
    const text = withoutTrailingNuls(decoder.decode(bytes));
    return isPrintable(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * UTF-8 (ASCII included), or else a NUL-terminated UCS-2 / UTF-16LE string;
 * undefined for anything that is not printable text. The terminator is what
 * tells a CHAR16 string from 16 bytes of binary that happen to decode (a
 * GUID). Some systemd-boot versions end the string with a one-byte NUL (an odd
 * length); that counts as a terminator too.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  const utf8 = decodeWith(UTF8, bytes);
  if (utf8 !== undefined) return utf8;
  const n = bytes.length;
  if (n % 2 === 1) return bytes[n - 1] === 0 ? decodeUtf16(bytes.subarray(0, -1)) : undefined;
  return n >= 2 && bytes[n - 1] === 0 && bytes[n - 2] === 0 ? decodeUtf16(bytes) : undefined;
}

/** UTF-16LE only (UEFI CHAR16 strings); trailing NULs dropped. */
export function decodeUtf16(bytes: Uint8Array): string | undefined {
  return bytes.length % 2 === 0 ? decodeWith(UTF16LE, bytes) : undefined;
}

/**
 * An EFI_GUID in its registry form: the first three fields are little-endian
 * integers, the last eight bytes are printed in order (UEFI 2.10 Appendix A).
 */
export function formatGuid(bytes: Uint8Array): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = bytes.slice(from, to);
    return toHex(reverse ? part.reverse() : part);
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += HEX_DIGITS[b];
  return hex;
}
