/**
 * UTF-8 arithmetic without an encoder, so that byte limits (RFC 5424 §6.1,
 * RFC 6587 §3.4.1 octet counts) can be computed in pure code. A lone
 * surrogate counts 3 bytes, as TextEncoder replaces it with U+FFFD.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += codePointBytes(char.codePointAt(0) ?? 0);
  return bytes;
}

function codePointBytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/**
 * The longest prefix of `text` that takes at most `maxBytes` in UTF-8, cut on
 * a code point boundary (RFC 5424 §6.4: MSG must stay valid UTF-8). A prefix
 * ending in an odd run of backslashes loses one more character, so the cut
 * never leaves half of a `\\`, `\=` or `\n` escape to swallow what follows.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += codePointBytes(char.codePointAt(0) ?? 0);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  let prefix = text.slice(0, end);
  let backslashes = 0;
  while (backslashes < prefix.length && prefix[prefix.length - 1 - backslashes] === '\\') backslashes += 1;
  if (backslashes % 2 === 1) prefix = prefix.slice(0, -1);
  return prefix;
}
