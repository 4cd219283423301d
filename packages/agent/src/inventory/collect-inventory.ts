import { networkInterfaces } from 'node:os';
import { type CommandRunner, execFileRunner } from './command-runner.ts';
import { reasonOf, unknown } from './fact.ts';
import { probeDiskEncryption } from './probe-disk-encryption.ts';
import { probeSecureBoot, probeTpm } from './probe-firmware.ts';
import {
  type InterfaceAddressSource,
  probeListeningSockets,
  probeNetworkInterfaces,
} from './probe-network.ts';
import {
  probeArchitecture,
  probeCpu,
  probeHostname,
  probeKernel,
  probeMemory,
  probeOsRelease,
} from './probe-system.ts';
import { mergeTpm } from './tpm-override.ts';
import type { Fact, Inventory, TpmInventory } from './types.ts';

export interface CollectInventoryOptions {
  readonly agentVersion: string;
  /** Filesystem root the files are read under; tests point it at a fake tree. Default `/`. */
  readonly root?: string;
  /**
   * Runs lsblk and dmsetup. Default: `execFile` with a timeout on the live
   * root; under another root no command is run (they would describe this
   * machine, not that root) unless a runner is given.
   */
  readonly run?: CommandRunner;
  /** TPM facts from the root of trust (see `tpmFromRootOfTrust`); its known fields win over sysfs. */
  readonly tpm?: Fact<TpmInventory>;
  /** Interface addresses (getifaddrs). Default `os.networkInterfaces` on the live root, none under another. */
  readonly interfaceAddresses?: InterfaceAddressSource;
  readonly now?: () => Date;
}

/**
 * Collects the device inventory. Every probe runs independently and none can
 * fail the whole: a probe that throws leaves its facts unknown with the error
 * as the reason, so this never rejects.
 *
 * @example
 * const inventory = await collectInventory({ agentVersion: '0.1.0', tpm: tpmFromRootOfTrust(await rot.facts()) });
 */
export async function collectInventory(options: CollectInventoryOptions): Promise<Inventory> {
  const root = options.root ?? '/';
  const live = root === '/';
  const run = options.run ?? (live ? execFileRunner : refuseCommands(root));
  const addresses = options.interfaceAddresses ?? (live ? networkInterfaces : undefined);

  const [hostname, osRelease, kernel, architecture, cpu, memoryBytes] = await Promise.all([
    guard(probeHostname(root), unknown),
    guard(probeOsRelease(root), unknown),
    guard(probeKernel(root), (reason) => ({ release: unknown(reason), version: unknown(reason) })),
    guard(probeArchitecture(root), unknown),
    guard(probeCpu(root), (reason) => ({ model: unknown(reason), cores: unknown(reason) })),
    guard(probeMemory(root), unknown),
  ]);
  const [diskEncryption, secureBoot, probedTpm, interfaces, listeningSockets] = await Promise.all([
    guard(probeDiskEncryption(root, run), unknown),
    guard(probeSecureBoot(root), unknown),
    guard(probeTpm(root), unknown<TpmInventory>),
    guard(probeNetworkInterfaces(root, addresses), unknown),
    guard(probeListeningSockets(root), (reason) => ({
      tcp: unknown(reason),
      tcp6: unknown(reason),
      udp: unknown(reason),
      udp6: unknown(reason),
    })),
  ]);
  return {
    agentVersion: options.agentVersion,
    collectedAt: (options.now?.() ?? new Date()).toISOString(),
    hostname,
    osRelease,
    kernel,
    architecture,
    cpu,
    memoryBytes,
    diskEncryption,
    secureBoot,
    tpm: mergeTpm(options.tpm, probedTpm),
    networkInterfaces: interfaces,
    listeningSockets,
  };
}

async function guard<T>(probe: Promise<T>, onFailure: (reason: string) => T): Promise<T> {
  try {
    return await probe;
  } catch (error) {
    return onFailure(`probe failed: ${reasonOf(error)}`);
  }
}

function refuseCommands(root: string): CommandRunner {
  return async (file) => {
    throw new Error(`${file} not run: it would describe the live system, not root ${root}`);
  };
}
