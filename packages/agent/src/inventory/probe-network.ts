import { endianness as hostEndianness, type NetworkInterfaceInfo } from 'node:os';
import { readDirFact, readLineFact, readTextFact } from './bounded-read.ts';
import { known, mapFact, unknown } from './fact.ts';
import { parseIfInet6 } from './if-inet6.ts';
import type { Endianness } from './ip-address.ts';
import { parseProcNetSockets } from './proc-net-sockets.ts';
import type { Fact, InterfaceAddress, ListeningSockets, NetworkInterface, SocketProtocol } from './types.ts';

/** `os.networkInterfaces()`'s shape: getifaddrs(3), addresses per interface name. */
export type InterfaceAddressSource = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** include/uapi/linux/if.h */
const IFF_UP = 0x1;
/** ~150 bytes a socket: room for some 200 000 sockets on a busy host. */
const PROC_NET_CAP = 32 * 1024 * 1024;
const PROTOCOLS: readonly SocketProtocol[] = ['tcp', 'tcp6', 'udp', 'udp6'];

/**
 * Interfaces from /sys/class/net (name, MAC, flags, operstate); addresses from
 * getifaddrs via `addresses`, which is only meaningful for the live root, so
 * without it addresses are unknown.
 */
export async function probeNetworkInterfaces(
  root: string,
  addresses: InterfaceAddressSource | undefined,
): Promise<Fact<readonly NetworkInterface[]>> {
  const names = await readDirFact(root, '/sys/class/net');
  if (!names.known) return names;
  const temporary = await temporaryIpv6Addresses(root);
  let byName: Fact<NodeJS.Dict<NetworkInterfaceInfo[]>>;
  try {
    byName =
      addresses === undefined ? unknown('addresses are read only from the live root') : known(addresses());
  } catch (error) {
    byName = unknown(`getifaddrs failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const interfaces = await Promise.all(
    names.value.map(async (name): Promise<NetworkInterface | undefined> => {
      const dir = `/sys/class/net/${name}`;
      const [mac, flags, operState] = await Promise.all([
        readLineFact(root, `${dir}/address`),
        readLineFact(root, `${dir}/flags`),
        readLineFact(root, `${dir}/operstate`),
      ]);
      // Not every entry is an interface: bonding adds a bonding_masters file, which has no flags.
      if (!flags.known && flags.reason.endsWith('not found')) return undefined;
      return {
        name,
        mac,
        up: parseFlagsUp(flags, `${dir}/flags`),
        operState,
        addresses: mapFact(byName, (all) => toAddresses(all[name] ?? [], temporary.get(name))),
      };
    }),
  );
  return known(interfaces.filter((i) => i !== undefined));
}

function parseFlagsUp(flags: Fact<string>, path: string): Fact<boolean> {
  if (!flags.known) return flags;
  if (!/^0x[0-9a-fA-F]{1,8}$/.test(flags.value)) return unknown(`file ${path} is not a hex flags word`);
  return known((Number.parseInt(flags.value, 16) & IFF_UP) !== 0);
}

function toAddresses(infos: readonly NetworkInterfaceInfo[], temporary: ReadonlySet<string> | undefined) {
  return infos
    .map((info): InterfaceAddress => {
      const prefix = info.cidr === null ? undefined : Number(info.cidr.slice(info.cidr.lastIndexOf('/') + 1));
      const isTemporary = info.family === 'IPv6' && temporary?.has(comparableIpv6(info.address)) === true;
      return {
        family: info.family,
        address: info.address,
        ...(prefix === undefined || !Number.isInteger(prefix) ? {} : { prefixLength: prefix }),
        ...(isTemporary ? { temporary: true as const } : {}),
      };
    })
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** Interface name → temporary IPv6 addresses (comparable form); empty when if_inet6 is unreadable. */
async function temporaryIpv6Addresses(root: string): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>();
  const text = await readTextFact(root, '/proc/net/if_inet6');
  if (!text.known) return result;
  for (const entry of parseIfInet6(text.value)) {
    if (!entry.temporary) continue;
    const set = result.get(entry.interfaceName) ?? new Set<string>();
    set.add(comparableIpv6(entry.address));
    result.set(entry.interfaceName, set);
  }
  return result;
}

/** libuv and this package may print an IPv6 address differently; the WHATWG URL parser normalises both. */
function comparableIpv6(address: string): string {
  try {
    return new URL(`http://[${address.split('%')[0]}]/`).hostname;
  } catch {
    return address;
  }
}

/** Listening sockets per /proc/net file; a missing file (IPv6 disabled) leaves only that protocol unknown. */
export async function probeListeningSockets(
  root: string,
  endianness: Endianness = hostEndianness(),
): Promise<ListeningSockets> {
  const entries = await Promise.all(
    PROTOCOLS.map(async (protocol) => {
      const text = await readTextFact(root, `/proc/net/${protocol}`, PROC_NET_CAP);
      return [
        protocol,
        mapFact(text, (t) => sortSockets(parseProcNetSockets(t, protocol, endianness))),
      ] as const;
    }),
  );
  const byProtocol = new Map(entries);
  const get = (p: SocketProtocol) => byProtocol.get(p) ?? unknown(`/proc/net/${p} not read`);
  return { tcp: get('tcp'), tcp6: get('tcp6'), udp: get('udp'), udp6: get('udp6') };
}

function sortSockets<T extends { port: number; localAddress: string; inode: number }>(sockets: T[]): T[] {
  return sockets.sort(
    (a, b) =>
      a.port - b.port ||
      (a.localAddress < b.localAddress ? -1 : a.localAddress > b.localAddress ? 1 : 0) ||
      a.inode - b.inode,
  );
}
