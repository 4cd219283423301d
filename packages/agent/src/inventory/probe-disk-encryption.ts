import { readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readDirFact, readLineFact } from './bounded-read.ts';
import { type CommandRunner, commandFailureReason } from './command-runner.ts';
import { type CryptTarget, cryptTypeFromDmUuid, parseDmsetupCryptTable } from './device-mapper.ts';
import { known, unknown } from './fact.ts';
import { type LsblkReport, parseLsblk } from './lsblk.ts';
import type { CryptVolume, DiskEncryption, Fact } from './types.ts';

export const LSBLK_ARGS = ['--json', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT,PKNAME'] as const;
export const DMSETUP_ARGS = ['table', '--target', 'crypt'] as const;

/**
 * dm-crypt volumes: lsblk gives the device tree and mountpoints (no privilege
 * needed), the dm UUIDs in sysfs give the LUKS version, and `dmsetup table`
 * (root only) gives the cipher. Without lsblk, dmsetup alone still lists the
 * open mappings, but then mountpoints and whether / is encrypted are unknown.
 */
export async function probeDiskEncryption(root: string, run: CommandRunner): Promise<Fact<DiskEncryption>> {
  const [lsblk, dmsetup, dmUuids] = await Promise.all([runLsblk(run), runDmsetup(run), readDmUuids(root)]);
  const refine = (volume: CryptVolume): CryptVolume => {
    const uuidType = volume.open ? cryptTypeFromDmUuid(dmUuids.get(volume.name) ?? '') : undefined;
    const cipher = dmsetup.known ? dmsetup.value.find((t) => t.name === volume.name)?.cipher : undefined;
    return { ...volume, type: uuidType ?? volume.type, ...(cipher === undefined ? {} : { cipher }) };
  };
  if (lsblk.known) {
    return known({ volumes: lsblk.value.volumes.map(refine), rootEncrypted: lsblk.value.rootEncrypted });
  }
  if (!dmsetup.known) return unknown(`${lsblk.reason}; ${dmsetup.reason}`);
  const volumes = await Promise.all(
    dmsetup.value.map(
      async (target): Promise<CryptVolume> => ({
        name: target.name,
        type: 'crypt',
        device: await resolveDevice(root, target.device),
        open: true,
        mountpoints: unknown(`mountpoints need lsblk (${lsblk.reason})`),
      }),
    ),
  );
  return known({ volumes: volumes.map(refine), rootEncrypted: unknown(`needs lsblk (${lsblk.reason})`) });
}

async function runLsblk(run: CommandRunner): Promise<Fact<LsblkReport>> {
  try {
    return parseLsblk((await run('lsblk', LSBLK_ARGS)).stdout);
  } catch (error) {
    return unknown(commandFailureReason('lsblk', error));
  }
}

async function runDmsetup(run: CommandRunner): Promise<Fact<CryptTarget[]>> {
  try {
    return known(parseDmsetupCryptTable((await run('dmsetup', DMSETUP_ARGS)).stdout));
  } catch (error) {
    return unknown(commandFailureReason('dmsetup', error));
  }
}

/** Mapping name → dm UUID, from /sys/block/dm-N/dm/{name,uuid}; empty when sysfs has none. */
async function readDmUuids(root: string): Promise<Map<string, string>> {
  const uuids = new Map<string, string>();
  const blocks = await readDirFact(root, '/sys/block');
  if (!blocks.known) return uuids;
  for (const block of blocks.value.filter((b) => /^dm-\d+$/.test(b))) {
    const [name, uuid] = await Promise.all([
      readLineFact(root, `/sys/block/${block}/dm/name`),
      readLineFact(root, `/sys/block/${block}/dm/uuid`),
    ]);
    if (name.known && uuid.known) uuids.set(name.value, uuid.value);
  }
  return uuids;
}

/** dm prints the backing device as `major:minor`; /sys/dev/block/<major:minor> links to its sysfs node. */
async function resolveDevice(root: string, device: string): Promise<Fact<string>> {
  if (device.startsWith('/dev/')) return known(device);
  if (!/^\d+:\d+$/.test(device)) return unknown(`dmsetup names backing device ${device.slice(0, 40)}`);
  try {
    return known(`/dev/${basename(await readlink(join(root, '/sys/dev/block', device)))}`);
  } catch {
    return unknown(`block device ${device} not found in /sys/dev/block`);
  }
}
