/**
 * The `monitoring` policy kind (SI-1, MO-1, MO-2): a risk-monitoring profile. Which
 * paths the agent's file-integrity monitor protects and how it responds to a
 * change, how often it scans, and the crypto inventory scan (certificates on
 * disk and TLS endpoints, for CR-4 violation reports and expiry warnings).
 */
export interface MonitoringPolicy {
  readonly protectedPaths: readonly ProtectedPath[];
  /** Incremental scan (metadata, inotify catch-up), seconds; at least 60. */
  readonly scanIntervalSeconds: number;
  /** Full re-hash of every protected file, seconds. */
  readonly fullVerifyIntervalSeconds: number;
  readonly cryptoScan: CryptoScan;
}

/** Built-in classes of protected paths; an operator may use an own id (PROTECTED_PATH_CLASS pattern). */
export const PROTECTED_PATH_CLASSES = ['firmware', 'boot', 'binaries', 'application', 'config'] as const;
export type ProtectedPathClass = (typeof PROTECTED_PATH_CLASSES)[number] | (string & {});

/**
 * What the agent does when a protected file changes. Every response also
 * raises the `fim.*` event:
 * - `alert`: report only;
 * - `restore`: put back the baseline copy the agent keeps;
 * - `stop`: stop the systemd `unit` that the file belongs to;
 * - `immutable`: set the file immutable (`chattr +i`) at apply time, so a change needs root and CAP_LINUX_IMMUTABLE.
 */
export const PROTECTION_RESPONSES = ['alert', 'restore', 'stop', 'immutable'] as const;
export type ProtectionResponse = (typeof PROTECTION_RESPONSES)[number];

export interface ProtectedPath {
  /** Absolute and normalized (no `.`, `..`, `//` or trailing `/`). Unique within the policy. */
  readonly path: string;
  readonly class: ProtectedPathClass;
  readonly response: ProtectionResponse;
  /** The service to stop; present exactly when response is `stop`. */
  readonly unit?: string;
  /** For a directory: its whole tree, not only its direct entries. */
  readonly recursive: boolean;
  /** Globs (`*`, `**`, `?`) relative to `path` that are not protected, e.g. `logs/**`. */
  readonly exclude?: readonly string[];
}

export interface CryptoScan {
  readonly intervalSeconds: number;
  /** Directories searched for certificates (PEM and DER). */
  readonly certificateDirs: readonly string[];
  /** TLS endpoints to probe: every listening TCP port, or these. */
  readonly tlsPorts: 'listening' | readonly number[];
  /** Warn this many days before a certificate expires. */
  readonly expiryWarningDays: number;
}

export const MONITORING_LIMITS = {
  protectedPaths: 256,
  excludes: 64,
  certificateDirs: 64,
  tlsPorts: 64,
  scanIntervalSeconds: { min: 60, max: 86_400 },
  fullVerifyIntervalSeconds: { min: 60, max: 30 * 86_400 },
  cryptoScanIntervalSeconds: { min: 60, max: 30 * 86_400 },
  expiryWarningDays: { min: 1, max: 365 },
} as const;
