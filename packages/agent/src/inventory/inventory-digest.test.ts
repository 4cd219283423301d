import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { known, unknown } from './fact.ts';
import { inventoryDigest } from './inventory-digest.ts';
import type { Inventory, ListeningSocket } from './types.ts';

const socket = (
  port: number,
  inode: number,
  protocol: ListeningSocket['protocol'] = 'tcp',
): ListeningSocket => ({
  protocol,
  localAddress: '0.0.0.0',
  port,
  uid: 0,
  inode,
});

function inventory(overrides: Partial<Inventory> = {}): Inventory {
  return {
    agentVersion: '1.0.0',
    collectedAt: '2025-01-01T00:00:00.000Z',
    hostname: known('gw'),
    osRelease: unknown('file /etc/os-release not found'),
    kernel: { release: known('6.1.0'), version: known('#1') },
    architecture: known('aarch64'),
    cpu: { model: known('Cortex-A53'), cores: known(4) },
    memoryBytes: known(1024),
    diskEncryption: unknown('lsblk not installed; dmsetup not installed'),
    secureBoot: unknown('not running on UEFI (/sys/firmware/efi absent)'),
    tpm: known({ present: false }),
    networkInterfaces: known([
      {
        name: 'eth0',
        mac: known('00:11:22:33:44:55'),
        up: known(true),
        operState: known('up'),
        addresses: known([{ family: 'IPv4', address: '10.0.0.2', prefixLength: 24 }]),
      },
    ]),
    listeningSockets: {
      tcp: known([socket(22, 100)]),
      tcp6: known([]),
      udp: known([socket(123, 101, 'udp')]),
      udp6: unknown('file /proc/net/udp6 not found'),
    },
    ...overrides,
  };
}

describe('inventoryDigest', () => {
  const base = inventoryDigest(inventory());

  it('is a SHA-256 hex digest, stable for the same inventory', () => {
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(inventoryDigest(inventory()), base);
  });

  it('ignores collection time, reasons, socket inodes, SO_REUSEPORT duplicates and ephemeral UDP clients', () => {
    const churned = inventory({
      collectedAt: '2030-01-01T00:00:00.000Z',
      osRelease: unknown('file /etc/os-release unreadable (EIO)'),
      listeningSockets: {
        tcp: known([socket(22, 999), socket(22, 1000)]),
        tcp6: known([]),
        udp: known([socket(123, 5, 'udp'), socket(41234, 6, 'udp')]),
        udp6: unknown('something else'),
      },
    });
    assert.equal(inventoryDigest(churned), base);
  });

  it('ignores carrier state and temporary IPv6 addresses', () => {
    const flapped = inventory({
      networkInterfaces: known([
        {
          name: 'eth0',
          mac: known('00:11:22:33:44:55'),
          up: known(true),
          operState: known('down'),
          addresses: known([
            { family: 'IPv4', address: '10.0.0.2', prefixLength: 24 },
            { family: 'IPv6', address: '2001:db8::abcd', prefixLength: 64, temporary: true },
          ]),
        },
      ]),
    });
    assert.equal(inventoryDigest(flapped), base);
  });

  it('changes when a new port listens, a fact becomes known, the agent or an address changes', () => {
    const changes: Partial<Inventory>[] = [
      {
        listeningSockets: { ...inventory().listeningSockets, tcp: known([socket(22, 100), socket(8080, 7)]) },
      },
      { listeningSockets: { ...inventory().listeningSockets, tcp: known([socket(41234, 100)]) } },
      { secureBoot: known('disabled') },
      { agentVersion: '1.0.1' },
      { tpm: unknown('no TPM driver loaded (/sys/class/tpm absent)') },
      {
        networkInterfaces: known([
          {
            name: 'eth0',
            mac: known('00:11:22:33:44:55'),
            up: known(true),
            operState: known('up'),
            addresses: known([{ family: 'IPv4', address: '10.0.0.3', prefixLength: 24 }]),
          },
        ]),
      },
    ];
    for (const change of changes)
      assert.notEqual(inventoryDigest(inventory(change)), base, JSON.stringify(change));
  });
});
