import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { cpus, hostname, machine, release, totalmem } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { collectInventory } from './collect-inventory.ts';
import { known } from './fact.ts';
import type { Inventory } from './types.ts';

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

const portOf = (server: Server) => {
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
};

describe('collectInventory', () => {
  describe('on this machine (root /)', () => {
    let v4: Server;
    let v6: Server;
    const udp = createSocket('udp4');
    let inventory: Inventory;

    before(async () => {
      v4 = await listen('127.0.0.1');
      v6 = await listen('::1');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      inventory = await collectInventory({ agentVersion: '0.0.0-test' });
    });
    after(async () => {
      await Promise.all([
        new Promise((resolve) => v4.close(resolve)),
        new Promise((resolve) => v6.close(resolve)),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    });

    it('knows hostname, kernel, architecture, CPU count and memory, agreeing with uname and Node', () => {
      assert.deepEqual(inventory.hostname, known(hostname()));
      assert.deepEqual(inventory.kernel.release, known(release()));
      assert.ok(inventory.kernel.version.known);
      assert.deepEqual(inventory.architecture, known(machine()));
      assert.deepEqual(inventory.cpu.cores, known(cpus().length));
      assert.deepEqual(inventory.memoryBytes, known(totalmem()));
      assert.equal(inventory.agentVersion, '0.0.0-test');
    });

    it('lists the TCP port this test listens on, over IPv4 and IPv6, with its inode', () => {
      const { tcp, tcp6 } = inventory.listeningSockets;
      assert.ok(tcp.known && tcp6.known);
      const mine4 = tcp.value.find((s) => s.port === portOf(v4));
      assert.equal(mine4?.localAddress, '127.0.0.1');
      assert.equal(mine4?.uid, process.getuid?.());
      assert.ok((mine4?.inode ?? 0) > 0);
      const mine6 = tcp6.value.find((s) => s.port === portOf(v6));
      assert.equal(mine6?.localAddress, '::1');
    });

    it('lists the UDP port this test has bound', () => {
      const { udp: sockets } = inventory.listeningSockets;
      assert.ok(sockets.known);
      assert.equal(sockets.value.find((s) => s.port === udp.address().port)?.localAddress, '127.0.0.1');
    });

    it('lists the loopback interface as up with 127.0.0.1', () => {
      assert.ok(inventory.networkInterfaces.known);
      const lo = inventory.networkInterfaces.value.find((i) => i.name === 'lo');
      assert.deepEqual(lo?.up, known(true));
      assert.ok(lo?.addresses.known && lo.addresses.value.some((a) => a.address === '127.0.0.1'));
    });

    it('reports Secure Boot and TPM only from what the machine exposes, else unknown with a reason', () => {
      if (!existsSync('/sys/firmware/efi')) {
        assert.deepEqual(inventory.secureBoot, {
          known: false,
          reason: 'not running on UEFI (/sys/firmware/efi absent)',
        });
      }
      if (!existsSync('/sys/class/tpm')) {
        assert.deepEqual(inventory.tpm, {
          known: false,
          reason: 'no TPM driver loaded (/sys/class/tpm absent)',
        });
      } else if (!existsSync('/sys/class/tpm/tpm0')) {
        assert.deepEqual(inventory.tpm, known({ present: false }));
      }
    });

    it('reports disk encryption from lsblk, or says why not', () => {
      const { diskEncryption } = inventory;
      if (!diskEncryption.known) {
        assert.match(diskEncryption.reason, /lsblk/);
        return;
      }
      // Without a crypt mapping no volume may be reported open, and rootEncrypted can only be false or unknown.
      for (const volume of diskEncryption.value.volumes)
        assert.ok(['luks1', 'luks2', 'luks', 'plain', 'tcrypt', 'bitlk', 'crypt'].includes(volume.type));
      if (diskEncryption.value.volumes.every((v) => !v.open) && diskEncryption.value.rootEncrypted.known) {
        assert.equal(diskEncryption.value.rootEncrypted.value, false);
      }
    });
  });
});
