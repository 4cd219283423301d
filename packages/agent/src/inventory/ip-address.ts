/**
 * Formatting of the binary addresses found in /proc/net. RFC 5952 text form
 * for IPv6 so that the same address always prints the same way (the digest
 * and the panel compare strings).
 */

export type Endianness = 'BE' | 'LE';

/**
 * Decodes a /proc/net/{tcp,udp}{,6} address: the kernel prints each 32-bit
 * word of the (network-order) address as a host-order integer with `%08X`, so
 * on little-endian hosts every 4-byte group appears reversed. Returns
 * undefined unless `hex` is 8 or 32 hex digits.
 */
export function decodeProcNetAddress(hex: string, endianness: Endianness): Uint8Array | undefined {
  if ((hex.length !== 8 && hex.length !== 32) || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word += 1) {
    for (let b = 0; b < 4; b += 1) {
      const printed = Number.parseInt(hex.slice(word * 8 + b * 2, word * 8 + b * 2 + 2), 16);
      bytes[word * 4 + (endianness === 'LE' ? 3 - b : b)] = printed;
    }
  }
  return bytes;
}

export function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

/** RFC 5952 §4: lowercase, no leading zeros, longest run (≥2) of zero groups as `::`, first on a tie; §5 mixed form for IPv4-mapped. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (isMapped) return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;

  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatIpAddress(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}
