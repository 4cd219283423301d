/**
 * IPv4 and IPv6 addresses and CIDR prefixes as the firewall policy writes them
 * (RFC 4632 for IPv4, RFC 4291 §2.2–2.3 for IPv6 text forms). The syntax is one
 * regular expression shared with the JSON Schema; decoding to bytes is what
 * the checks that compare addresses (host bits, panel lockout) need.
 * node:net's isIP is not used: core imports no networking module.
 */

const HEX = '[0-9A-Fa-f]{1,4}';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;

/** `k` leading groups (1..max) followed by `:`, or nothing before the `::`. */
function head(max: number): string {
  return max === 0 ? ':' : `(?:(?:${HEX}:){1,${max}}|:)`;
}

// RFC 4291 §2.2: eight groups, or fewer with one `::` standing for at least
// one zero group, optionally ending in a dotted IPv4 address for the last 32
// bits. One alternative per count of groups after the `::` keeps it exact.
function ipv6Source(): string {
  const forms = [`(?:${HEX}:){7}${HEX}`, `(?:${HEX}:){6}${IPV4}`];
  for (let after = 0; after <= 7; after += 1) {
    const tail = after === 0 ? '' : `(?:${HEX}:){${after - 1}}${HEX}`;
    forms.push(`${head(7 - after)}:${tail}`);
  }
  for (let after = 0; after <= 5; after += 1) forms.push(`${head(5 - after)}:(?:${HEX}:){${after}}${IPV4}`);
  return `(?:${forms.join('|')})`;
}

const IPV6 = ipv6Source();
const PREFIX4 = '(?:/(?:3[0-2]|[12][0-9]|[0-9]))?';
const PREFIX6 = '(?:/(?:12[0-8]|1[01][0-9]|[1-9][0-9]|[0-9]))?';

/** An IPv4 CIDR; the prefix is optional (a host). */
export const IPV4_CIDR_SOURCE = `^${IPV4}${PREFIX4}$`;
/** An IPv6 CIDR; the prefix is optional (a host). No zone index (`%eth0`). */
export const IPV6_CIDR_SOURCE = `^${IPV6}${PREFIX6}$`;
const IPV4_CIDR = new RegExp(IPV4_CIDR_SOURCE, 'u');
const IPV6_CIDR = new RegExp(IPV6_CIDR_SOURCE, 'u');

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  readonly prefix: number;
}

/** A CIDR (or a bare address: a host prefix), or undefined if the text is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const v4 = IPV4_CIDR.test(text);
  if (!v4 && !IPV6_CIDR.test(text)) return undefined;
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = v4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const full = bytes.length * 8;
  return { family: v4 ? 4 : 6, bytes, prefix: slash < 0 ? full : Number(text.slice(slash + 1)) };
}

/** An address without prefix, or undefined. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.includes('/')) return undefined;
  const cidr = parseCidr(text);
  return cidr === undefined ? undefined : { family: cidr.family, bytes: cidr.bytes };
}

/** True when the bits after the prefix are all zero, as a network address requires. */
export function hostBitsClear(cidr: Cidr): boolean {
  return cidr.bytes.every((byte, index) => {
    const keep = Math.min(8, Math.max(0, cidr.prefix - index * 8));
    return (byte & (0xff >> keep)) === 0;
  });
}

/** The network of a CIDR: its host bits cleared. */
export function networkOf(cidr: Cidr): Cidr {
  const bytes = cidr.bytes.map((byte, index) => {
    const keep = Math.min(8, Math.max(0, cidr.prefix - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return { ...cidr, bytes };
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const network = networkOf(cidr).bytes;
  const other = networkOf({ ...address, prefix: cidr.prefix }).bytes;
  return network.every((byte, index) => byte === other[index]);
}

/** Canonical text: dotted quad, or RFC 5952 for IPv6 (lower case, longest zero run as `::`), always with `/prefix`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress(cidr)}/${cidr.prefix}`;
}

export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) return [...address.bytes].join('.');
  const groups = Array.from(
    { length: 8 },
    (_, i) => ((address.bytes[2 * i] ?? 0) << 8) | (address.bytes[2 * i + 1] ?? 0),
  );
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...address.bytes.slice(12)].join('.')}`;
  }
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const groupsOf = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [Number.parseInt(group, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(group);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const gap = text.indexOf('::');
  const before = groupsOf(gap < 0 ? text : text.slice(0, gap));
  const after = gap < 0 ? [] : groupsOf(text.slice(gap + 2));
  const groups = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}
