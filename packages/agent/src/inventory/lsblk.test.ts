import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseLsblk } from './lsblk.ts';

const dev = (
  name: string,
  type: string,
  fstype: string | null,
  mountpoint: string | null,
  children?: unknown[],
) => ({
  name,
  type,
  fstype,
  mountpoint,
  pkname: null,
  ...(children ? { children } : {}),
});

/** A laptop layout: LVM on LUKS2 for /, a plain /boot, and a locked LUKS data partition. */
const LVM_ON_LUKS = JSON.stringify({
  blockdevices: [
    dev('nvme0n1', 'disk', null, null, [
      dev('nvme0n1p1', 'part', 'vfat', '/boot/efi'),
      dev('nvme0n1p2', 'part', 'ext4', '/boot'),
      dev('nvme0n1p3', 'part', 'crypto_LUKS', null, [
        dev('nvme0n1p3_crypt', 'crypt', 'LVM2_member', null, [
          dev('vg-root', 'lvm', 'ext4', '/'),
          dev('vg-swap', 'lvm', 'swap', '[SWAP]'),
        ]),
      ]),
      dev('nvme0n1p4', 'part', 'crypto_LUKS', null),
    ]),
  ],
});

describe('parseLsblk', () => {
  it('finds an open LUKS mapping with its device and everything mounted on it, and a locked container', () => {
    const report = parseLsblk(LVM_ON_LUKS);
    assert.ok(report.known);
    assert.deepEqual(report.value.volumes, [
      {
        name: 'nvme0n1p3_crypt',
        type: 'luks',
        device: { known: true, value: '/dev/nvme0n1p3' },
        open: true,
        mountpoints: { known: true, value: ['/', '[SWAP]'] },
      },
      {
        name: 'nvme0n1p4',
        type: 'luks',
        device: { known: true, value: '/dev/nvme0n1p4' },
        open: false,
        mountpoints: { known: true, value: [] },
      },
    ]);
    assert.deepEqual(report.value.rootEncrypted, { known: true, value: true });
  });

  it('says root is not encrypted when / sits on a plain disk', () => {
    const report = parseLsblk(JSON.stringify({ blockdevices: [dev('vda', 'disk', 'ext4', '/')] }));
    assert.ok(report.known);
    assert.deepEqual(report.value.volumes, []);
    assert.deepEqual(report.value.rootEncrypted, { known: true, value: false });
  });

  it('leaves rootEncrypted unknown when no block device is mounted at / (container, NFS root)', () => {
    const report = parseLsblk(JSON.stringify({ blockdevices: [dev('vda', 'disk', 'ext4', '/data')] }));
    assert.ok(report.known);
    assert.equal(report.value.rootEncrypted.known, false);
  });

  it('links --list output through PKNAME, a plain dm-crypt mapping being type crypt', () => {
    const list = {
      blockdevices: [
        { name: 'sda', type: 'disk', fstype: null, mountpoint: null, pkname: null },
        { name: 'sda1', type: 'part', fstype: null, mountpoint: null, pkname: 'sda' },
        { name: 'secret', type: 'crypt', fstype: 'ext4', mountpoint: '/', pkname: 'sda1' },
      ],
    };
    const report = parseLsblk(JSON.stringify(list));
    assert.ok(report.known);
    assert.equal(report.value.volumes[0]?.type, 'crypt');
    assert.deepEqual(report.value.volumes[0]?.device, { known: true, value: '/dev/sda1' });
    assert.deepEqual(report.value.rootEncrypted, { known: true, value: true });
  });

  it('survives a PKNAME cycle', () => {
    const cycle = {
      blockdevices: [
        { name: 'a', type: 'crypt', fstype: null, mountpoint: '/', pkname: 'b' },
        { name: 'b', type: 'part', fstype: null, mountpoint: null, pkname: 'a' },
      ],
    };
    assert.ok(parseLsblk(JSON.stringify(cycle)).known);
  });

  it('is unknown for output that is not lsblk JSON', () => {
    for (const text of [
      '',
      'lsblk: unknown column',
      '{"blockdevices": 3}',
      '{"blockdevices":[{"type":"disk"}]}',
      'null',
    ]) {
      assert.equal(parseLsblk(text).known, false, text);
    }
  });

  it('refuses absurdly deep or large trees instead of walking them', () => {
    let deep: unknown = dev('leaf', 'crypt', null, '/');
    for (let i = 0; i < 100; i += 1) deep = dev(`d${i}`, 'part', null, null, [deep]);
    assert.equal(parseLsblk(JSON.stringify({ blockdevices: [deep] })).known, false);
    const many = Array.from({ length: 5000 }, (_, i) => dev(`loop${i}`, 'loop', null, null));
    assert.equal(parseLsblk(JSON.stringify({ blockdevices: many })).known, false);
  });

  it('never throws on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ blockdevices: [v] })),
        ),
        (text) => {
          const report = parseLsblk(text);
          if (report.known) for (const v of report.value.volumes) assert.equal(typeof v.name, 'string');
        },
      ),
    );
  });
});
