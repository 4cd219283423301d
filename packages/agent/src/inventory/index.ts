export type { CollectInventoryOptions } from './collect-inventory.ts';
export { collectInventory } from './collect-inventory.ts';
export type { CommandRunner } from './command-runner.ts';
export { commandFailureReason, execFileRunner } from './command-runner.ts';
export type { CryptTarget } from './device-mapper.ts';
export { cryptTypeFromDmUuid, parseDmsetupCryptTable } from './device-mapper.ts';
export { parseEfiBooleanVariable, secureBootState } from './efivar.ts';
export { known, unknown } from './fact.ts';
export { EPHEMERAL_PORTS, inventoryDigest, inventoryDigestInput } from './inventory-digest.ts';
export type { InventoryWatcherOptions, Scheduler } from './inventory-watcher.ts';
export { DEFAULT_INVENTORY_INTERVAL_MS, InventoryWatcher } from './inventory-watcher.ts';
export type { LsblkReport } from './lsblk.ts';
export { parseLsblk } from './lsblk.ts';
export { parseOsRelease } from './os-release.ts';
export type { InterfaceAddressSource } from './probe-network.ts';
export { parseProcNetSockets } from './proc-net-sockets.ts';
export { mergeTpm, tpmFromRootOfTrust } from './tpm-override.ts';
export type {
  CpuInfo,
  CryptVolume,
  CryptVolumeType,
  DiskEncryption,
  Fact,
  InterfaceAddress,
  Inventory,
  KernelInfo,
  ListeningSocket,
  ListeningSockets,
  NetworkInterface,
  OsRelease,
  SecureBootState,
  SocketProtocol,
  TpmInventory,
  TpmVersion,
} from './types.ts';
