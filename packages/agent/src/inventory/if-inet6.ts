import { formatIpv6 } from './ip-address.ts';

/** include/uapi/linux/if_addr.h: IFA_F_TEMPORARY (same bit as IFA_F_SECONDARY). */
const IFA_F_TEMPORARY = 0x01;
const LINE =
  /^([0-9a-fA-F]{32}) [0-9a-fA-F]+ ([0-9a-fA-F]{2}) [0-9a-fA-F]{2} ([0-9a-fA-F]{2,}) +(\S{1,15})\s*$/;

export interface Inet6Address {
  readonly interfaceName: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly temporary: boolean;
}

/**
 * Parses /proc/net/if_inet6 (net/ipv6/addrconf.c `if6_seq_show`): address in
 * network order as 32 hex digits, ifindex, prefix length, scope, flags,
 * interface name. Only used to tell which IPv6 addresses are temporary.
 */
export function parseIfInet6(text: string): Inet6Address[] {
  const addresses: Inet6Address[] = [];
  for (const line of text.split('\n')) {
    if (line.length > 256) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, hex = '', prefixHex = '', flagsHex = '', interfaceName = ''] = match;
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
    addresses.push({
      interfaceName,
      address: formatIpv6(bytes),
      prefixLength: Number.parseInt(prefixHex, 16),
      temporary: (Number.parseInt(flagsHex, 16) & IFA_F_TEMPORARY) !== 0,
    });
  }
  return addresses;
}
