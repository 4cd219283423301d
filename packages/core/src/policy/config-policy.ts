/**
 * The `config` policy kind (CM-1): files the agent writes on the device and
 * values it hands to local applications, delivered signed like every policy
 * so a configuration change is verifiable and versioned.
 */
export interface ConfigPolicy {
  /** Paths unique; written atomically (temp file + rename) with the given mode and owner. */
  readonly files: readonly ConfigFile[];
  /** Key–value settings for local applications, e.g. `{ "modbus.timeoutMs": 500 }`. */
  readonly values?: Readonly<Record<string, string | number | boolean>>;
}

/** A file with text content, or with binary content in base64 (exactly one of the two). */
export type ConfigFile = ConfigFileBase & ({ readonly content: string } | { readonly contentBase64: string });

interface ConfigFileBase {
  /** Absolute and normalized. */
  readonly path: string;
  /** Octal, e.g. `0640`; no setuid/setgid/sticky bits and never world-writable. */
  readonly mode: string;
  /** User name; absent = root. */
  readonly owner?: string;
  /** Group name; absent = the owner's primary group. */
  readonly group?: string;
}

export const CONFIG_LIMITS = {
  files: 32,
  /** UTF-8 bytes of `content`, or decoded bytes of `contentBase64`. */
  fileBytes: 256 * 1024,
  values: 256,
} as const;

/** The longest base64 text whose decoded size can be within CONFIG_LIMITS.fileBytes. */
export const CONFIG_BASE64_MAX_LENGTH = Math.ceil(CONFIG_LIMITS.fileBytes / 3) * 4;
