import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectInventory } from './collect-inventory.ts';
import { EFI_GLOBAL_VARIABLE_GUID } from './efivar.ts';
import { known, unknown } from './fact.ts';
import { type FakeFiles, FakeRoots, stubRun } from './fake-root.ts';

const AGENT = '1.2.3';
const EFIVARS = '/sys/firmware/efi/efivars';
const LSBLK = JSON.stringify({
  blockdevices: [
    {
      name: 'sda',
      type: 'disk',
      fstype: null,
      mountpoint: null,
      pkname: null,
      children: [
        { name: 'sda1', type: 'part', fstype: 'ext4', mountpoint: '/boot', pkname: 'sda' },
        {
          name: 'sda2',
          type: 'part',
          fstype: 'crypto_LUKS',
          mountpoint: null,
          pkname: 'sda',
          children: [{ name: 'cryptroot', type: 'crypt', fstype: 'ext4', mountpoint: '/', pkname: 'sda2' }],
        },
      ],
    },
  ],
});
const DMSETUP = `cryptroot: 0 100 crypt aes-xts-plain64 ${'f'.repeat(128)} 0 8:2 32768\n`;

let roots: FakeRoots;
before(async () => {
  roots = await FakeRoots.create();
});
after(async () => {
  await roots[Symbol.asyncDispose]();
});
const fakeRoot = (files?: FakeFiles) => roots.root(files);

const FULL: FakeFiles = {
  '/etc/os-release':
    'ID=poky\nVERSION_ID="4.0.15"\nPRETTY_NAME="Poky (Yocto Project Reference Distro) 4.0.15"\n',
  '/proc/sys/kernel/hostname': 'gateway-17\n',
  '/proc/sys/kernel/osrelease': '6.1.55-yocto-standard\n',
  '/proc/sys/kernel/version': '#1 SMP PREEMPT Fri Oct 6 11:04:07 UTC 2023\n',
  '/proc/sys/kernel/arch': 'aarch64\n',
  '/proc/cpuinfo':
    'processor\t: 0\nprocessor\t: 1\nprocessor\t: 2\nprocessor\t: 3\nModel\t: NXP i.MX8MQ EVK\n',
  '/proc/meminfo': 'MemTotal:        2048000 kB\n',
  [`${EFIVARS}/SecureBoot-${EFI_GLOBAL_VARIABLE_GUID}`]: Uint8Array.of(6, 0, 0, 0, 1),
  [`${EFIVARS}/SetupMode-${EFI_GLOBAL_VARIABLE_GUID}`]: Uint8Array.of(6, 0, 0, 0, 0),
  '/sys/class/tpm/tpm0/tpm_version_major': '2\n',
  '/sys/class/tpm/tpm0/device/description': 'TPM 2.0 Device\n',
  '/sys/class/net/eth0/address': '00:04:9f:01:02:03\n',
  '/sys/class/net/eth0/flags': '0x1003\n',
  '/sys/class/net/eth0/operstate': 'up\n',
  '/sys/class/net/bonding_masters': '\n',
  '/sys/block/dm-0/dm/name': 'cryptroot\n',
  '/sys/block/dm-0/dm/uuid': 'CRYPT-LUKS2-0123456789abcdef0123456789abcdef-cryptroot\n',
  '/proc/net/tcp':
    '  sl  local_address rem_address   st\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1598 1 0 100 0 0 10 0\n',
  '/proc/net/tcp6':
    '  sl  local_address\n   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   33        0 77 1 0 100 0 0 10 0\n',
  '/proc/net/udp': '  sl  local_address\n',
  '/proc/net/if_inet6': '20010db8000000001234567890abcdef 02 40 00 01     eth0\n',
};

describe('collectInventory', () => {
  describe('on a fake root with every source present', () => {
    it('reports each fact from its file, lsblk and dmsetup', async () => {
      const root = await fakeRoot(FULL);
      const inventory = await collectInventory({
        agentVersion: AGENT,
        root,
        run: stubRun({ lsblk: LSBLK, dmsetup: DMSETUP }),
        interfaceAddresses: () => ({
          eth0: [
            {
              address: '10.0.0.5',
              netmask: '255.255.255.0',
              family: 'IPv4',
              mac: '',
              internal: false,
              cidr: '10.0.0.5/24',
            },
            {
              address: '2001:db8::1234:5678:90ab:cdef',
              netmask: 'ffff:ffff:ffff:ffff::',
              family: 'IPv6',
              mac: '',
              internal: false,
              cidr: '2001:db8::1234:5678:90ab:cdef/64',
              scopeid: 0,
            },
          ],
        }),
        now: () => new Date('2025-01-01T00:00:00Z'),
      });
      assert.equal(inventory.agentVersion, AGENT);
      assert.equal(inventory.collectedAt, '2025-01-01T00:00:00.000Z');
      assert.deepEqual(inventory.hostname, known('gateway-17'));
      assert.deepEqual(
        inventory.osRelease,
        known({
          id: known('poky'),
          versionId: known('4.0.15'),
          prettyName: known('Poky (Yocto Project Reference Distro) 4.0.15'),
        }),
      );
      assert.deepEqual(inventory.kernel.release, known('6.1.55-yocto-standard'));
      assert.deepEqual(inventory.architecture, known('aarch64'));
      assert.deepEqual(inventory.cpu, { model: known('NXP i.MX8MQ EVK'), cores: known(4) });
      assert.deepEqual(inventory.memoryBytes, known(2048000 * 1024));
      assert.deepEqual(inventory.secureBoot, known('enabled'));
      assert.deepEqual(
        inventory.diskEncryption,
        known({
          volumes: [
            {
              name: 'cryptroot',
              type: 'luks2',
              device: known('/dev/sda2'),
              open: true,
              mountpoints: known(['/']),
              cipher: 'aes-xts-plain64',
            },
          ],
          rootEncrypted: known(true),
        }),
      );
      assert.ok(inventory.tpm.known && inventory.tpm.value.present);
      assert.deepEqual(inventory.tpm.value.version, known('2.0'));
      assert.match(
        inventory.tpm.value.manufacturer.known ? '' : inventory.tpm.value.manufacturer.reason,
        /TPM 2.0/,
      );
      assert.ok(inventory.networkInterfaces.known);
      assert.deepEqual(inventory.networkInterfaces.value, [
        {
          name: 'eth0',
          mac: known('00:04:9f:01:02:03'),
          up: known(true),
          operState: known('up'),
          addresses: known([
            { family: 'IPv4', address: '10.0.0.5', prefixLength: 24 },
            { family: 'IPv6', address: '2001:db8::1234:5678:90ab:cdef', prefixLength: 64, temporary: true },
          ]),
        },
      ]);
      const { tcp, tcp6, udp, udp6 } = inventory.listeningSockets;
      assert.deepEqual(
        tcp,
        known([{ protocol: 'tcp', localAddress: '0.0.0.0', port: 22, uid: 0, inode: 1598 }]),
      );
      assert.deepEqual(
        tcp6,
        known([{ protocol: 'tcp6', localAddress: '::', port: 443, uid: 33, inode: 77 }]),
      );
      assert.deepEqual(udp, known([]));
      assert.deepEqual(udp6, unknown('file /proc/net/udp6 not found'));
      assert.ok(!JSON.stringify(inventory).includes('f'.repeat(64)), 'no key material');
    });
  });

  describe('on an empty root', () => {
    it('reports every fact unknown with the reason, and runs no command', async () => {
      const root = await fakeRoot();
      const inventory = await collectInventory({ agentVersion: AGENT, root });
      assert.deepEqual(inventory.hostname, unknown('file /proc/sys/kernel/hostname not found'));
      assert.deepEqual(
        inventory.osRelease,
        unknown('file /etc/os-release not found, nor /usr/lib/os-release'),
      );
      assert.deepEqual(inventory.kernel.release, unknown('file /proc/sys/kernel/osrelease not found'));
      assert.deepEqual(inventory.architecture, unknown('file /proc/sys/kernel/arch not found'));
      assert.deepEqual(inventory.cpu.cores, unknown('file /proc/cpuinfo not found'));
      assert.deepEqual(inventory.memoryBytes, unknown('file /proc/meminfo not found'));
      assert.deepEqual(inventory.secureBoot, unknown('not running on UEFI (/sys/firmware/efi absent)'));
      assert.deepEqual(inventory.tpm, unknown('no TPM driver loaded (/sys/class/tpm absent)'));
      assert.deepEqual(inventory.networkInterfaces, unknown('directory /sys/class/net not found'));
      assert.ok(!inventory.diskEncryption.known);
      assert.match(
        inventory.diskEncryption.reason,
        /^lsblk failed: lsblk not run: it would describe the live system/,
      );
      for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
        assert.deepEqual(
          inventory.listeningSockets[protocol],
          unknown(`file /proc/net/${protocol} not found`),
        );
      }
    });
  });

  describe('Secure Boot branches', () => {
    const secureBoot = async (files: FakeFiles) =>
      (await collectInventory({ agentVersion: AGENT, root: await fakeRoot(files), run: stubRun({}) }))
        .secureBoot;

    it('reports setup mode and disabled', async () => {
      const sb = `${EFIVARS}/SecureBoot-${EFI_GLOBAL_VARIABLE_GUID}`;
      const sm = `${EFIVARS}/SetupMode-${EFI_GLOBAL_VARIABLE_GUID}`;
      assert.deepEqual(
        await secureBoot({ [sb]: Uint8Array.of(6, 0, 0, 0, 0), [sm]: Uint8Array.of(6, 0, 0, 0, 1) }),
        known('setup-mode'),
      );
      assert.deepEqual(
        await secureBoot({ [sb]: Uint8Array.of(6, 0, 0, 0, 0), [sm]: Uint8Array.of(6, 0, 0, 0, 0) }),
        known('disabled'),
      );
    });

    it('is unknown when efivarfs is not mounted, the variable is missing or malformed', async () => {
      const root = await fakeRoot();
      await mkdir(join(root, EFIVARS), { recursive: true });
      const notMounted = (await collectInventory({ agentVersion: AGENT, root, run: stubRun({}) })).secureBoot;
      assert.deepEqual(notMounted, unknown(`efivarfs not mounted at ${EFIVARS}`));
      assert.deepEqual(
        await secureBoot({ [`${EFIVARS}/Boot0000-${EFI_GLOBAL_VARIABLE_GUID}`]: 'x' }),
        unknown('EFI variable SecureBoot not defined by the firmware'),
      );
      assert.deepEqual(
        await secureBoot({ [`${EFIVARS}/SecureBoot-${EFI_GLOBAL_VARIABLE_GUID}`]: Uint8Array.of(6, 0) }),
        unknown('EFI variable SecureBoot has 2 bytes, expected 5'),
      );
    });
  });
});
