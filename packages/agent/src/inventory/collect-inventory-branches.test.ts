import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectInventory } from './collect-inventory.ts';
import { known, unknown } from './fact.ts';
import { type FakeFiles, FakeRoots, stubRun } from './fake-root.ts';
import type { TpmInventory } from './types.ts';

const AGENT = '1.2.3';
const DMSETUP = `cryptdata: 0 100 crypt aes-xts-plain64 ${'0'.repeat(64)} 0 8:17 4096\n`;

let roots: FakeRoots;
before(async () => {
  roots = await FakeRoots.create();
});
after(async () => {
  await roots[Symbol.asyncDispose]();
});

async function collect(files: FakeFiles, extra: Partial<Parameters<typeof collectInventory>[0]> = {}) {
  return collectInventory({ agentVersion: AGENT, root: await roots.root(files), run: stubRun({}), ...extra });
}

describe('collectInventory', () => {
  describe('TPM', () => {
    it('reads a TPM 1.2 from caps', async () => {
      const { tpm } = await collect({
        '/sys/class/tpm/tpm0/device/caps':
          'Manufacturer: 0x49465800\nTCG version: 1.2\nFirmware version: 3.17\n',
      });
      assert.deepEqual(
        tpm,
        known({
          present: true,
          version: known('1.2'),
          manufacturer: known('IFX'),
          firmwareVersion: known('3.17'),
        }),
      );
    });

    it('reports no TPM when the tpm class exists but is empty', async () => {
      const root = await roots.root();
      await mkdir(join(root, '/sys/class/tpm'), { recursive: true });
      const { tpm } = await collectInventory({ agentVersion: AGENT, root, run: stubRun({}) });
      assert.deepEqual(tpm, known({ present: false }));
    });

    it("fills a TPM 2.0's manufacturer and firmware from the caller's override, keeping the sysfs version", async () => {
      const override: TpmInventory = {
        present: true,
        version: unknown('not reported'),
        manufacturer: known('STM'),
        firmwareVersion: known('1.512'),
      };
      const { tpm } = await collect(
        { '/sys/class/tpm/tpm0/tpm_version_major': '2\n' },
        { tpm: known(override) },
      );
      assert.deepEqual(
        tpm,
        known({
          present: true,
          version: known('2.0'),
          manufacturer: known('STM'),
          firmwareVersion: known('1.512'),
        }),
      );
    });

    it('ignores an unknown override', async () => {
      const { tpm } = await collect({}, { tpm: unknown('root of trust is software, not a TPM') });
      assert.deepEqual(tpm, unknown('no TPM driver loaded (/sys/class/tpm absent)'));
    });
  });

  describe('disk encryption', () => {
    it('says why when neither lsblk nor dmsetup is installed', async () => {
      const { diskEncryption } = await collect({});
      assert.deepEqual(diskEncryption, unknown('lsblk not installed; dmsetup not installed'));
    });

    it('falls back to dmsetup for open mappings, resolving the backing device through /sys/dev/block', async () => {
      const root = await roots.root({ '/sys/devices/pci0000:00/block/sdb/sdb1/dev': '8:17\n' });
      await mkdir(join(root, '/sys/dev/block'), { recursive: true });
      await symlink('../../devices/pci0000:00/block/sdb/sdb1', join(root, '/sys/dev/block/8:17'));
      const { diskEncryption } = await collectInventory({
        agentVersion: AGENT,
        root,
        run: stubRun({ dmsetup: DMSETUP }),
      });
      assert.ok(diskEncryption.known);
      assert.deepEqual(diskEncryption.value.volumes, [
        {
          name: 'cryptdata',
          type: 'crypt',
          device: known('/dev/sdb1'),
          open: true,
          mountpoints: unknown('mountpoints need lsblk (lsblk not installed)'),
          cipher: 'aes-xts-plain64',
        },
      ]);
      assert.deepEqual(diskEncryption.value.rootEncrypted, unknown('needs lsblk (lsblk not installed)'));
    });

    it('reports a failing or garbled lsblk without inventing volumes', async () => {
      const failing = Object.assign(new Error('Command failed'), {
        code: 1,
        stderr: 'lsblk: unknown column: PKNAME\n',
      });
      const timedOut = Object.assign(new Error('Command failed'), { killed: true, signal: 'SIGTERM' });
      const denied = Object.assign(new Error('Command failed'), { code: 1, stderr: 'Permission denied' });
      assert.deepEqual(
        (await collect({}, { run: stubRun({ lsblk: failing, dmsetup: denied }) })).diskEncryption,
        unknown(
          'lsblk exited with status 1: lsblk: unknown column: PKNAME; dmsetup exited with status 1: Permission denied',
        ),
      );
      assert.deepEqual(
        (await collect({}, { run: stubRun({ lsblk: timedOut }) })).diskEncryption,
        unknown('lsblk timed out or was killed; dmsetup not installed'),
      );
      assert.deepEqual(
        (await collect({}, { run: stubRun({ lsblk: '\u0000garbage' }) })).diskEncryption,
        unknown('lsblk output is not valid JSON; dmsetup not installed'),
      );
    });
  });

  describe('robustness', () => {
    it('survives a runner and an address source that throw synchronously', async () => {
      const inventory = await collect(
        { '/sys/class/net/lo/flags': '0x9\n', '/proc/sys/kernel/hostname': 'h\n' },
        {
          run: () => {
            throw new Error('boom');
          },
          interfaceAddresses: () => {
            throw new Error('getifaddrs exploded');
          },
        },
      );
      assert.deepEqual(inventory.hostname, known('h'));
      assert.deepEqual(inventory.diskEncryption, unknown('lsblk failed: boom; dmsetup failed: boom'));
      assert.ok(inventory.networkInterfaces.known);
      assert.deepEqual(
        inventory.networkInterfaces.value[0]?.addresses,
        unknown('getifaddrs failed: getifaddrs exploded'),
      );
      assert.deepEqual(
        inventory.networkInterfaces.value[0]?.mac,
        unknown('file /sys/class/net/lo/address not found'),
      );
    });

    it('refuses a /proc/net file over the cap rather than reporting part of it', async () => {
      const root = await roots.root();
      await mkdir(join(root, '/proc/net'), { recursive: true });
      await writeFile(join(root, '/proc/net/tcp'), Buffer.alloc(33 * 1024 * 1024, 0x41));
      const { listeningSockets } = await collectInventory({ agentVersion: AGENT, root, run: stubRun({}) });
      assert.deepEqual(
        listeningSockets.tcp,
        unknown('file /proc/net/tcp larger than 33554432 bytes; not parsed'),
      );
    });

    it('treats garbage in every file as unknown or empty, never a guess', async () => {
      const junk = '\u0000\u00ff garbage === "\n';
      const inventory = await collect({
        '/etc/os-release': junk,
        '/proc/cpuinfo': junk,
        '/proc/meminfo': junk,
        '/proc/net/tcp': junk,
        '/sys/class/net/eth0/flags': junk,
        '/sys/class/tpm/tpm0/tpm_version_major': junk,
      });
      assert.ok(inventory.osRelease.known);
      assert.equal(inventory.osRelease.value.id.known, false);
      assert.deepEqual(inventory.cpu, {
        model: unknown('no CPU model in /proc/cpuinfo'),
        cores: unknown('no processor entries in /proc/cpuinfo'),
      });
      assert.deepEqual(inventory.memoryBytes, unknown('no MemTotal in /proc/meminfo'));
      assert.deepEqual(inventory.listeningSockets.tcp, known([]));
      assert.ok(inventory.networkInterfaces.known);
      assert.deepEqual(
        inventory.networkInterfaces.value[0]?.up,
        unknown('file /sys/class/net/eth0/flags is not a hex flags word'),
      );
      assert.ok(inventory.tpm.known && inventory.tpm.value.present);
      assert.deepEqual(inventory.tpm.value.version, unknown('TPM version not in /sys/class/tpm/tpm0'));
    });
  });
});
