import { known, unknown } from './fact.ts';
import type { CryptVolume, Fact } from './types.ts';

/** More block devices than this is not a device the agent runs on; stop rather than walk forever. */
const MAX_DEVICES = 4096;
const MAX_DEPTH = 64;

interface BlockDevice {
  readonly name: string;
  readonly type: string | undefined;
  readonly fstype: string | undefined;
  readonly mountpoint: string | undefined;
  parent: BlockDevice | undefined;
}

export interface LsblkReport {
  /** dm-crypt mappings and locked LUKS containers; `type` is refined later from the dm UUID. */
  readonly volumes: readonly CryptVolume[];
  readonly rootEncrypted: Fact<boolean>;
}

/**
 * Parses `lsblk --json -o NAME,TYPE,FSTYPE,MOUNTPOINT,PKNAME` (tree or
 * `--list` output). A device of TYPE `crypt` is an open dm-crypt mapping (a
 * LUKS one when its parent's FSTYPE is `crypto_LUKS`); a `crypto_LUKS`
 * device with no `crypt` child is a locked container. Output that is not
 * lsblk's JSON shape is unknown, never partially trusted.
 */
export function parseLsblk(json: string): Fact<LsblkReport> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    return unknown('lsblk output is not valid JSON');
  }
  const roots = (document as { blockdevices?: unknown } | null)?.blockdevices;
  if (!Array.isArray(roots)) return unknown('lsblk output has no blockdevices array');
  const devices = flatten(roots);
  if (devices === undefined) return unknown('lsblk output has a device without a name or is too large');

  const children = (device: BlockDevice) => devices.filter((d) => d.parent === device);
  const descendantsAndSelf = (device: BlockDevice): BlockDevice[] =>
    devices.filter((d) => ancestorsAndSelf(d).includes(device));

  const volumes: CryptVolume[] = [];
  for (const device of devices) {
    if (device.type === 'crypt') {
      volumes.push({
        name: device.name,
        type: device.parent?.fstype === 'crypto_LUKS' ? 'luks' : 'crypt',
        device: device.parent ? known(`/dev/${device.parent.name}`) : unknown('lsblk names no parent device'),
        open: true,
        mountpoints: known(mountpointsOf(descendantsAndSelf(device))),
      });
    } else if (device.fstype === 'crypto_LUKS' && !children(device).some((c) => c.type === 'crypt')) {
      volumes.push({
        name: device.name,
        type: 'luks',
        device: known(`/dev/${device.name}`),
        open: false,
        mountpoints: known([]),
      });
    }
  }
  return known({ volumes: dedupe(volumes), rootEncrypted: rootEncrypted(devices) });
}

function rootEncrypted(devices: readonly BlockDevice[]): Fact<boolean> {
  const rootDevices = devices.filter((d) => d.mountpoint === '/');
  if (rootDevices.length === 0) return unknown('no block device is mounted at / (per lsblk)');
  return known(rootDevices.some((d) => ancestorsAndSelf(d).some((a) => a.type === 'crypt')));
}

function ancestorsAndSelf(device: BlockDevice): BlockDevice[] {
  const chain: BlockDevice[] = [];
  for (let d: BlockDevice | undefined = device; d !== undefined && chain.length <= MAX_DEPTH; d = d.parent) {
    if (chain.includes(d)) break;
    chain.push(d);
  }
  return chain;
}

function mountpointsOf(devices: readonly BlockDevice[]): string[] {
  return [...new Set(devices.flatMap((d) => (d.mountpoint === undefined ? [] : [d.mountpoint])))].sort();
}

/** A device with several parents (RAID, multipath) appears once per parent in the tree. */
function dedupe(volumes: CryptVolume[]): CryptVolume[] {
  const byName = new Map<string, CryptVolume>();
  for (const volume of volumes) if (!byName.has(volume.name)) byName.set(volume.name, volume);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Tree to list, iteratively (bounded depth and count); `--list` output links parents by PKNAME instead. */
function flatten(roots: unknown[]): BlockDevice[] | undefined {
  const devices: BlockDevice[] = [];
  const pending: { node: unknown; parent: BlockDevice | undefined; depth: number }[] = roots
    .map((node) => ({ node, parent: undefined, depth: 0 }))
    .reverse();
  const pknames = new Map<BlockDevice, string>();
  while (pending.length > 0) {
    const item = pending.pop();
    if (item === undefined) break;
    if (devices.length >= MAX_DEVICES || item.depth > MAX_DEPTH) return undefined;
    const node = item.node as Record<string, unknown> | null;
    if (typeof node !== 'object' || node === null) return undefined;
    const name = optionalString(node.name);
    if (name === undefined || name === '') return undefined;
    const device: BlockDevice = {
      name,
      type: optionalString(node.type),
      fstype: optionalString(node.fstype),
      mountpoint: optionalString(node.mountpoint),
      parent: item.parent,
    };
    devices.push(device);
    const pkname = optionalString(node.pkname);
    if (item.parent === undefined && pkname !== undefined) pknames.set(device, pkname);
    const nested = Array.isArray(node.children) ? node.children : [];
    for (const child of [...nested].reverse())
      pending.push({ node: child, parent: device, depth: item.depth + 1 });
  }
  // `--list` output: link devices that were not nested to their PKNAME. ancestorsAndSelf bounds any cycle.
  const byName = new Map(devices.map((d) => [d.name, d] as const));
  for (const [device, pkname] of pknames) device.parent = byName.get(pkname);
  return devices;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
