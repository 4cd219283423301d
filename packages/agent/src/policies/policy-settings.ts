import { isAbsolute, join, normalize } from 'node:path';

/** The `policies:` section of agent.yaml: where policy state lives and how policies reach the device. */
export interface PolicySettings {
  /** Pinned policy trust, applied versions, verified envelopes, the firewall record. Default `<stateDir>/policies`. */
  readonly stateDir: string;
  readonly firewall: {
    /** The nft binary; default `nft` from PATH. */
    readonly nftPath: string;
    /** Words run before nft, e.g. `[ip, netns, exec, plant]` to manage a namespace's firewall. Default none. */
    readonly nftPrefix: readonly string[];
    /** The dead-man window: the agent must reach its panel over new rules within it, or they roll back. */
    readonly confirmWithinSeconds: number;
  };
  readonly crypto: {
    /** Apply the crypto policy to the agent's own channel to the panel (new connections). Default true. */
    readonly agentTls: boolean;
    /** Write the OpenSSL include here (opt-in; absent = not written). */
    readonly opensslInclude?: string;
  };
  readonly config: {
    /** Config policy files may only be written below these directories. */
    readonly allowedDirectories: readonly string[];
  };
}

/** A field of agent.yaml at fault, as agent-config.ts collects them. */
export interface SettingProblem {
  readonly field: string;
  readonly message: string;
}

export const DEFAULT_MANAGED_DIRECTORY = '/etc/palisade-managed';
export const DEFAULT_CONFIRM_WITHIN_SECONDS = 60;
const MAX_ALLOWED_DIRECTORIES = 32;
const MAX_PREFIX_WORDS = 16;

/**
 * Parses the `policies:` section (absent = every default), pushing one
 * problem per bad field so agent.yaml is refused with all of them at once.
 */
export function parsePolicySettings(
  input: unknown,
  stateDir: string | undefined,
  problems: SettingProblem[],
): PolicySettings {
  const at = (field: string) => `policies${field === '' ? '' : `.${field}`}`;
  const root = section(input, '', problems);
  known(root, '', ['stateDir', 'firewall', 'crypto', 'config'], problems);
  const firewall = section(root.firewall, 'firewall', problems);
  known(firewall, 'firewall', ['nftPath', 'nftPrefix', 'confirmWithinSeconds'], problems);
  const crypto = section(root.crypto, 'crypto', problems);
  known(crypto, 'crypto', ['agentTls', 'opensslInclude'], problems);
  const config = section(root.config, 'config', problems);
  known(config, 'config', ['allowedDirectories'], problems);

  const path = (value: unknown, field: string): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) {
      problems.push({ field: at(field), message: 'must be an absolute path' });
      return undefined;
    }
    return value;
  };

  const nftPath = firewall.nftPath;
  if (nftPath !== undefined && nftPath !== null && !isWord(nftPath))
    problems.push({
      field: at('firewall.nftPath'),
      message: 'must be a command name or path without spaces',
    });
  const prefix = firewall.nftPrefix ?? [];
  if (!Array.isArray(prefix) || prefix.length > MAX_PREFIX_WORDS || !prefix.every(isWord))
    problems.push({
      field: at('firewall.nftPrefix'),
      message: `must be a list of at most ${MAX_PREFIX_WORDS} words without spaces`,
    });
  const confirm = firewall.confirmWithinSeconds ?? DEFAULT_CONFIRM_WITHIN_SECONDS;
  if (typeof confirm !== 'number' || !Number.isInteger(confirm) || confirm < 5 || confirm > 3600)
    problems.push({
      field: at('firewall.confirmWithinSeconds'),
      message: 'must be an integer from 5 to 3600',
    });

  const agentTls = crypto.agentTls ?? true;
  if (typeof agentTls !== 'boolean')
    problems.push({ field: at('crypto.agentTls'), message: 'must be true or false' });
  const opensslInclude = path(crypto.opensslInclude, 'crypto.opensslInclude');

  const allowed = allowedDirectories(config.allowedDirectories, at('config.allowedDirectories'), problems);
  const policyState = path(root.stateDir, 'stateDir') ?? join(stateDir ?? '/var/lib/palisade', 'policies');

  return {
    stateDir: policyState,
    firewall: {
      nftPath: typeof nftPath === 'string' ? nftPath : 'nft',
      nftPrefix: Array.isArray(prefix) ? prefix.filter(isWord) : [],
      confirmWithinSeconds: typeof confirm === 'number' ? confirm : DEFAULT_CONFIRM_WITHIN_SECONDS,
    },
    crypto: {
      agentTls: agentTls !== false,
      ...(opensslInclude === undefined ? {} : { opensslInclude }),
    },
    config: { allowedDirectories: allowed },
  };
}

function allowedDirectories(value: unknown, field: string, problems: SettingProblem[]): string[] {
  if (value === undefined || value === null) return [DEFAULT_MANAGED_DIRECTORY];
  const rule = `must be a list of 1 to ${MAX_ALLOWED_DIRECTORIES} distinct absolute, normalized directories other than /`;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ALLOWED_DIRECTORIES) {
    problems.push({ field, message: rule });
    return [];
  }
  const directories: string[] = [];
  for (const [index, entry] of value.entries()) {
    // Normalized spelling only: the prefix check in managed-path.ts compares strings.
    const ok =
      typeof entry === 'string' &&
      isAbsolute(entry) &&
      entry !== '/' &&
      !entry.includes('\0') &&
      normalize(entry) === entry &&
      !entry.endsWith('/');
    if (!ok || directories.includes(entry)) problems.push({ field: `${field}[${index}]`, message: rule });
    else directories.push(entry);
  }
  return directories;
}

function isWord(value: unknown): value is string {
  return typeof value === 'string' && /^[^\s\0]{1,4096}$/.test(value);
}

function section(value: unknown, field: string, problems: SettingProblem[]): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push({ field: field === '' ? 'policies' : `policies.${field}`, message: 'must be a mapping' });
  return {};
}

function known(
  value: Record<string, unknown>,
  field: string,
  allowed: readonly string[],
  problems: SettingProblem[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      problems.push({
        field: `policies.${field === '' ? '' : `${field}.`}${key}`,
        message: 'is not a known setting',
      });
  }
}
