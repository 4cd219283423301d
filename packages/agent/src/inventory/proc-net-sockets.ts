import { decodeProcNetAddress, type Endianness, formatIpAddress } from './ip-address.ts';
import type { ListeningSocket, SocketProtocol } from './types.ts';

/** include/net/tcp_states.h */
const TCP_LISTEN = '0A';
/** An unconnected UDP socket sits in TCP_CLOSE; a connect()ed one (a client) in TCP_ESTABLISHED. */
const UDP_UNCONNECTED = '07';
/** A real line is ~150 characters; longer ones are not /proc/net lines and are not worth a regex. */
const MAX_LINE_CHARS = 1024;

const LINE =
  /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})\s+\S+\s+\S+\s+\S+\s+(\d+)\s+\d+\s+(\d+)(?:\s|$)/;

/**
 * Parses /proc/net/{tcp,tcp6,udp,udp6} (see `tcp4_seq_show` in the kernel) into
 * the sockets that accept traffic from others: TCP sockets in LISTEN, UDP
 * sockets that are bound to a port and not connected. The header and any line
 * that does not have the kernel's shape (truncated, garbage, wrong address
 * width for the protocol) are skipped. `endianness` is the host's, because the
 * kernel prints addresses as host-order words.
 */
export function parseProcNetSockets(
  text: string,
  protocol: SocketProtocol,
  endianness: Endianness,
): ListeningSocket[] {
  const addressHexLength = protocol === 'tcp6' || protocol === 'udp6' ? 32 : 8;
  const wantedState = protocol === 'tcp' || protocol === 'tcp6' ? TCP_LISTEN : UDP_UNCONNECTED;
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    if (line.length > MAX_LINE_CHARS) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, addressHex = '', portHex = '', state = '', uidText = '', inodeText = ''] = match;
    if (addressHex.length !== addressHexLength || state.toUpperCase() !== wantedState) continue;
    const port = Number.parseInt(portHex, 16);
    if (port === 0) continue; // not bound to a port
    const address = decodeProcNetAddress(addressHex, endianness);
    const uid = Number(uidText);
    const inode = Number(inodeText);
    if (address === undefined || !Number.isSafeInteger(uid) || !Number.isSafeInteger(inode)) continue;
    sockets.push({ protocol, localAddress: formatIpAddress(address), port, uid, inode });
  }
  return sockets;
}
