/**
 * The device inventory the agent reports at start and on change. A fact the
 * agent could not establish is `{ known: false, reason }`, never a plausible
 * default: the panel's compliance checks must be able to tell "disabled" from
 * "could not tell".
 */

/** One fact about the device: its value, or why it is not known. */
export type Fact<T> =
  | { readonly known: true; readonly value: T }
  | { readonly known: false; readonly reason: string };

/** Fields of os-release(5) the panel uses. Missing fields stay unknown; the spec's defaults are not applied. */
export interface OsRelease {
  readonly id: Fact<string>;
  readonly versionId: Fact<string>;
  readonly prettyName: Fact<string>;
}

export interface KernelInfo {
  /** `uname -r`, e.g. `6.1.0-18-amd64`. */
  readonly release: Fact<string>;
  /** `uname -v`, e.g. `#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1`. */
  readonly version: Fact<string>;
}

export interface CpuInfo {
  readonly model: Fact<string>;
  /** Logical processors listed in /proc/cpuinfo (online CPUs, hyperthreads counted). */
  readonly cores: Fact<number>;
}

/**
 * `luks` is a LUKS container whose version could not be read; `crypt` a
 * dm-crypt mapping of unknown kind. The others come from the dm UUID prefix
 * cryptsetup sets (`CRYPT-LUKS2-…`, `CRYPT-PLAIN-…`).
 */
export type CryptVolumeType = 'luks1' | 'luks2' | 'luks' | 'plain' | 'tcrypt' | 'bitlk' | 'crypt';

export interface CryptVolume {
  /** The dm-crypt mapping name (`cryptroot`), or for a locked LUKS container its block device name. */
  readonly name: string;
  readonly type: CryptVolumeType;
  /** The encrypted block device underneath, e.g. `/dev/nvme0n1p3`. */
  readonly device: Fact<string>;
  /** False for a LUKS container that is not unlocked. */
  readonly open: boolean;
  /** Where the mapping or anything stacked on it (LVM on LUKS) is mounted. */
  readonly mountpoints: Fact<readonly string[]>;
  /** dm-crypt cipher spec (`aes-xts-plain64`), from `dmsetup table` (needs root). Never the key. */
  readonly cipher?: string;
}

export interface DiskEncryption {
  readonly volumes: readonly CryptVolume[];
  /**
   * Whether the block device mounted at / has a dm-crypt layer beneath it.
   * Filesystem-level encryption (fscrypt, ZFS native) is not detected.
   */
  readonly rootEncrypted: Fact<boolean>;
}

export type SecureBootState = 'enabled' | 'disabled' | 'setup-mode';

export type TpmVersion = '1.2' | '2.0';

export type TpmInventory =
  | { readonly present: false }
  | {
      readonly present: true;
      readonly version: Fact<TpmVersion>;
      readonly manufacturer: Fact<string>;
      readonly firmwareVersion: Fact<string>;
    };

export interface InterfaceAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  readonly prefixLength?: number;
  /** Set when the kernel marks an IPv6 address temporary (RFC 8981 privacy address); such addresses rotate. */
  readonly temporary?: true;
}

export interface NetworkInterface {
  readonly name: string;
  readonly mac: Fact<string>;
  /** Administratively up (IFF_UP). */
  readonly up: Fact<boolean>;
  /** RFC 2863 operational state as the kernel reports it (`up`, `down`, `unknown`, …). */
  readonly operState: Fact<string>;
  readonly addresses: Fact<readonly InterfaceAddress[]>;
}

export type SocketProtocol = 'tcp' | 'tcp6' | 'udp' | 'udp6';

export interface ListeningSocket {
  readonly protocol: SocketProtocol;
  readonly localAddress: string;
  readonly port: number;
  /** Owning user id. */
  readonly uid: number;
  /** Socket inode; links the socket to a process via /proc/<pid>/fd. Changes on every restart. */
  readonly inode: number;
}

/** Per /proc/net file, so that an IPv6-less kernel still reports its IPv4 listeners. */
export type ListeningSockets = { readonly [P in SocketProtocol]: Fact<readonly ListeningSocket[]> };

export interface Inventory {
  readonly agentVersion: string;
  /** ISO 8601 time of collection. */
  readonly collectedAt: string;
  readonly hostname: Fact<string>;
  readonly osRelease: Fact<OsRelease>;
  readonly kernel: KernelInfo;
  /** Machine hardware name as `uname -m` prints it (`x86_64`, `aarch64`, `armv7l`). */
  readonly architecture: Fact<string>;
  readonly cpu: CpuInfo;
  readonly memoryBytes: Fact<number>;
  readonly diskEncryption: Fact<DiskEncryption>;
  readonly secureBoot: Fact<SecureBootState>;
  readonly tpm: Fact<TpmInventory>;
  readonly networkInterfaces: Fact<readonly NetworkInterface[]>;
  readonly listeningSockets: ListeningSockets;
}
