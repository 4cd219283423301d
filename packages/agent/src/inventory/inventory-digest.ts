import { createHash } from 'node:crypto';
import { canonicalJson } from '@palisade/core';
import type { Fact, Inventory, ListeningSocket, ListeningSockets, NetworkInterface } from './types.ts';

/**
 * Linux's default net.ipv4.ip_local_port_range. Unconnected UDP sockets here
 * are mostly clients (dhclient, resolvers) that pick a new port on each start.
 */
export const EPHEMERAL_PORTS = { from: 32768, to: 60999 } as const;

/**
 * What "the inventory changed" means: the inventory minus details that change
 * without the device changing, so the agent does not re-report every few
 * minutes. Left out:
 * - `collectedAt`;
 * - the reason of an unknown fact (a different error is not a different device);
 * - a socket's inode (new on every restart of its service) and duplicates from
 *   SO_REUSEPORT (one entry per worker, a count that varies);
 * - unconnected UDP sockets on ephemeral ports (clients, see EPHEMERAL_PORTS);
 * - an interface's operState (carrier flaps) and its temporary IPv6 addresses
 *   (RFC 8981, rotated daily).
 * Everything else — including MAC, admin up/down, addresses, listening ports
 * and their owners — is in. The full inventory is still what gets reported.
 */
export function inventoryDigestInput(inventory: Inventory): unknown {
  return withoutReasons({
    agentVersion: inventory.agentVersion,
    hostname: inventory.hostname,
    osRelease: inventory.osRelease,
    kernel: inventory.kernel,
    architecture: inventory.architecture,
    cpu: inventory.cpu,
    memoryBytes: inventory.memoryBytes,
    diskEncryption: inventory.diskEncryption,
    secureBoot: inventory.secureBoot,
    tpm: inventory.tpm,
    networkInterfaces: mapKnown(inventory.networkInterfaces, (interfaces) => interfaces.map(stableInterface)),
    listeningSockets: stableSockets(inventory.listeningSockets),
  });
}

/** SHA-256 (hex) of the RFC 8785 canonical JSON of `inventoryDigestInput`. */
export function inventoryDigest(inventory: Inventory): string {
  return createHash('sha256')
    .update(canonicalJson(inventoryDigestInput(inventory)), 'utf8')
    .digest('hex');
}

function stableInterface(nic: NetworkInterface) {
  return {
    name: nic.name,
    mac: nic.mac,
    up: nic.up,
    addresses: mapKnown(nic.addresses, (addresses) => addresses.filter((a) => a.temporary !== true)),
  };
}

function stableSockets(sockets: ListeningSockets) {
  const stable = (list: readonly ListeningSocket[]) => {
    const keys = list
      .filter(
        (s) =>
          !(s.protocol.startsWith('udp') && s.port >= EPHEMERAL_PORTS.from && s.port <= EPHEMERAL_PORTS.to),
      )
      .map((s) => `${s.localAddress} ${s.port} ${s.uid}`);
    return [...new Set(keys)].sort();
  };
  return {
    tcp: mapKnown(sockets.tcp, stable),
    tcp6: mapKnown(sockets.tcp6, stable),
    udp: mapKnown(sockets.udp, stable),
    udp6: mapKnown(sockets.udp6, stable),
  };
}

function mapKnown<T, U>(fact: Fact<T>, f: (value: T) => U): { known: true; value: U } | { known: false } {
  return fact.known ? { known: true, value: f(fact.value) } : { known: false };
}

/** Replaces every `{ known: false, reason }` with `{ known: false }`, recursively. */
function withoutReasons(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutReasons);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record.known === false) return { known: false };
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, withoutReasons(v)]));
}
