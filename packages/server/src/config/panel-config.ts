import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.ts';

export interface PanelConfig {
  readonly dataDir: string;
  readonly devicePort: number;
  readonly operatorPort: number;
  /** Address both listeners bind to. */
  readonly bind: string;
  /** Names and addresses clients use to reach the panel; they go into the listeners' certificates. */
  readonly hosts: readonly string[];
  readonly databaseUrl: string | undefined;
  readonly organization: string;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimit: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly sessionTtlSeconds: number;
  readonly sessionIdleSeconds: number;
  readonly heartbeatSeconds: number;
  readonly demoFleet: number;
  readonly estMaxInFlight: number;
  /** Days security events are kept, by severity: 0–3, 4–6, 7–10. */
  readonly eventRetentionLowDays: number;
  readonly eventRetentionMediumDays: number;
  readonly eventRetentionHighDays: number;
  readonly loginMaxFailures: number;
  readonly loginLockoutSeconds: number;
  /** Plain-HTTP listener for CRL, OCSP and CA certificates (RFC 5280 §4.2.1.13, RFC 6960): relying parties fetch them without TLS. */
  readonly httpListener: boolean;
  readonly httpPort: number;
  /** Base URL put into device certificates' AIA and CRL distribution point; derived from host and HTTP port if unset. */
  readonly revocationBaseUrl: string | undefined;
  /** `file` (encrypted PKCS#8 in the database) or an RFC 7512 `pkcs11:` URI of the token that holds the CA keys. */
  readonly caKeyStore: string;
}

type Kind = 'string' | 'port' | 'integer' | 'list' | 'level' | 'boolean' | 'url' | 'keystore';

interface OptionSpec {
  readonly key: keyof PanelConfig;
  readonly flag: string;
  readonly env?: string;
  readonly kind: Kind;
  readonly defaultValue: PanelConfig[keyof PanelConfig];
  readonly help: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every setting, once: its flag, its environment variable, its config-file
 * key (the same as the property name) and its default. Precedence: defaults <
 * config file < flags < environment. Secrets (the key passphrase, the
 * bootstrap admin password) are read from the environment only, never from
 * flags, which other users can see in the process list.
 */
export const PANEL_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'PALISADE_DATA_DIR',
    kind: 'string',
    defaultValue: './.palisade',
    help: 'data directory (embedded database, lock, passphrase file, root CA copy)',
  },
  {
    key: 'devicePort',
    flag: 'device-port',
    env: 'PALISADE_DEVICE_PORT',
    kind: 'port',
    defaultValue: 8443,
    help: 'device listener port (mutual TLS); 0 picks a free port',
  },
  {
    key: 'operatorPort',
    flag: 'operator-port',
    env: 'PALISADE_OPERATOR_PORT',
    kind: 'port',
    defaultValue: 9443,
    help: 'operator listener port (HTTPS: API and dashboard); 0 picks a free port',
  },
  {
    key: 'hosts',
    flag: 'host',
    env: 'PALISADE_HOST',
    kind: 'list',
    defaultValue: [],
    help: 'comma-separated host names or addresses clients use; added to the listener certificates (localhost and 127.0.0.1 always are)',
  },
  {
    key: 'bind',
    flag: 'bind',
    env: 'PALISADE_BIND',
    kind: 'string',
    defaultValue: '0.0.0.0',
    help: 'address both listeners bind to',
  },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    env: 'DATABASE_URL',
    kind: 'string',
    defaultValue: undefined,
    help: 'PostgreSQL URL; without it the embedded database in the data directory is used',
  },
  {
    key: 'organization',
    flag: 'organization',
    env: 'PALISADE_ORGANIZATION',
    kind: 'string',
    defaultValue: 'Palisade',
    help: 'organization name in the CA certificates (first start only)',
  },
  {
    key: 'bodyLimit',
    flag: 'body-limit',
    env: 'PALISADE_BODY_LIMIT',
    kind: 'integer',
    defaultValue: 1024 * 1024,
    help: 'largest request body in bytes',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'PALISADE_LOG_LEVEL',
    kind: 'level',
    defaultValue: 'info',
    help: `log level: ${LOG_LEVELS.join(', ')}`,
  },
  {
    key: 'sessionTtlSeconds',
    flag: 'session-ttl',
    env: 'PALISADE_SESSION_TTL',
    kind: 'integer',
    defaultValue: 12 * 3600,
    help: 'operator session lifetime in seconds',
  },
  {
    key: 'heartbeatSeconds',
    flag: 'heartbeat',
    env: 'PALISADE_HEARTBEAT',
    kind: 'integer',
    defaultValue: 60,
    help: 'seconds between agent check-ins; a device is offline after two missed ones',
  },
  {
    key: 'estMaxInFlight',
    flag: 'est-max-in-flight',
    env: 'PALISADE_EST_MAX_IN_FLIGHT',
    kind: 'integer',
    defaultValue: 64,
    help: 'EST enrollments one replica works on at once; beyond it devices get 503 with Retry-After',
  },
  {
    key: 'eventRetentionLowDays',
    flag: 'event-retention-low',
    env: 'PALISADE_EVENT_RETENTION_LOW',
    kind: 'integer',
    defaultValue: 30,
    help: 'days security events of severity 0-3 are kept',
  },
  {
    key: 'eventRetentionMediumDays',
    flag: 'event-retention-medium',
    env: 'PALISADE_EVENT_RETENTION_MEDIUM',
    kind: 'integer',
    defaultValue: 90,
    help: 'days security events of severity 4-6 are kept',
  },
  {
    key: 'eventRetentionHighDays',
    flag: 'event-retention-high',
    env: 'PALISADE_EVENT_RETENTION_HIGH',
    kind: 'integer',
    defaultValue: 365,
    help: 'days security events of severity 7-10 are kept',
  },
  {
    key: 'demoFleet',
    flag: 'demo-fleet',
    env: 'PALISADE_DEMO_FLEET',
    kind: 'integer',
    defaultValue: 0,
    help: 'simulate this many devices against the panel itself (npm start runs 12); 0: none',
  },
  {
    key: 'sessionIdleSeconds',
    flag: 'session-idle',
    env: 'PALISADE_SESSION_IDLE',
    kind: 'integer',
    defaultValue: 30 * 60,
    help: 'operator session idle timeout in seconds',
  },
  {
    key: 'loginMaxFailures',
    flag: 'login-max-failures',
    env: 'PALISADE_LOGIN_MAX_FAILURES',
    kind: 'integer',
    defaultValue: 5,
    help: 'failed logins before an account is locked',
  },
  {
    key: 'loginLockoutSeconds',
    flag: 'login-lockout',
    env: 'PALISADE_LOGIN_LOCKOUT',
    kind: 'integer',
    defaultValue: 900,
    help: 'lockout duration in seconds',
  },
  {
    key: 'httpListener',
    flag: 'http-listener',
    env: 'PALISADE_HTTP_LISTENER',
    kind: 'boolean',
    defaultValue: true,
    help: 'serve CRL, OCSP and CA certificates over plain HTTP: true or false',
  },
  {
    key: 'httpPort',
    flag: 'http-port',
    env: 'PALISADE_HTTP_PORT',
    kind: 'port',
    defaultValue: 8080,
    help: 'plain-HTTP listener port (CRL, OCSP, CA certificates); 0 picks a free port',
  },
  {
    key: 'revocationBaseUrl',
    flag: 'revocation-url',
    env: 'PALISADE_REVOCATION_URL',
    kind: 'url',
    defaultValue: undefined,
    help: 'base URL of CRL, OCSP and CA issuers in device certificates (default: http://<first host>:<http port>)',
  },
  {
    key: 'caKeyStore',
    flag: 'ca-key-store',
    env: 'PALISADE_CA_KEY_STORE',
    kind: 'keystore',
    defaultValue: 'file',
    help: "where the CA keys are made and kept: 'file' (encrypted in the database) or a pkcs11: URI (RFC 7512; give the PIN with pin-source=file:…)",
  },
];

export const PANEL_ENV_SECRETS = {
  PALISADE_KEY_PASSPHRASE:
    'passphrase that encrypts the CA private keys (at least 16 characters); generated into the data directory if unset, for labs only',
  PALISADE_BOOTSTRAP_ADMIN_PASSWORD:
    "first start only: the first admin's password (no one-time password, no forced change)",
} as const;

export function panelHelp(): string {
  const lines = ['Usage: palisade server [options]', '', 'Options (flag | environment | config-file key):'];
  for (const option of PANEL_OPTIONS) {
    const fallback =
      option.defaultValue === undefined ? '' : ` (default: ${JSON.stringify(option.defaultValue)})`;
    lines.push(`${`  --${option.flag} <value>`.padEnd(30)}${option.env ?? ''} | ${option.key}`);
    lines.push(`      ${option.help}${fallback}`);
  }
  lines.push(`${'  --config <file>'.padEnd(30)}YAML or JSON file with the keys above`);
  lines.push(`${'  --help'.padEnd(30)}this text`, '', 'Secrets, from the environment only:');
  for (const [name, help] of Object.entries(PANEL_ENV_SECRETS)) lines.push(`  ${name}`, `      ${help}`);
  return `${lines.join('\n')}\n`;
}

function coerce(spec: OptionSpec, raw: unknown, origin: string): PanelConfig[keyof PanelConfig] {
  const fail = (expected: string): never => {
    throw new ConfigError('CONFIG_INVALID', `${origin}: ${spec.key} must be ${expected}`, {
      details: { field: spec.key },
    });
  };
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string' || raw.length === 0) return fail('a non-empty string');
      return raw;
    case 'list': {
      const items = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw.split(',')
          : fail('a list of names');
      const names = items.map((item) => (typeof item === 'string' ? item.trim() : fail('a list of names')));
      return names.filter((n) => n.length > 0);
    }
    case 'boolean':
      if (raw === true || raw === 'true') return true;
      if (raw === false || raw === 'false') return false;
      return fail('true or false');
    case 'url':
      if (typeof raw !== 'string' || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(raw)) return fail('an http(s) URL');
      return raw.replace(/\/+$/, '');
    case 'keystore':
      if (raw === 'file' || (typeof raw === 'string' && raw.startsWith('pkcs11:'))) return raw;
      return fail("'file' or a pkcs11: URI");
    case 'level':
      if (!(LOG_LEVELS as readonly unknown[]).includes(raw)) return fail(`one of ${LOG_LEVELS.join(', ')}`);
      return raw as PanelConfig['logLevel'];
    case 'port':
    case 'integer': {
      const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
        return fail('a non-negative integer');
      if (spec.kind === 'port' && value > 65535) return fail('a port number (0-65535)');
      return value;
    }
  }
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'CONFIG_FILE_UNREADABLE',
      `cannot read config file ${path}: ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID', `${path}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('CONFIG_INVALID', `${path}: must be a mapping`);
  const known = new Set<string>(PANEL_OPTIONS.map((o) => o.key));
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ConfigError('CONFIG_INVALID', `${path}: unknown setting(s) ${unknown.join(', ')}`, {
      details: { unknown },
    });
  }
  return parsed as Record<string, unknown>;
}

export type ParsedServerArgs =
  | { readonly help: true }
  | { readonly help: false; readonly config: PanelConfig };

/** Reads flags, the optional config file and the environment into one validated configuration. */
export async function loadPanelConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ParsedServerArgs> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(PANEL_OPTIONS.map((o) => [o.flag, { type: 'string' as const }])),
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID', (error as Error).message);
  }
  if (parsed.values.help === true) return { help: true };
  const configPath = parsed.values.config;
  const file = typeof configPath === 'string' ? await readConfigFile(configPath) : {};
  const config: Record<string, unknown> = {};
  for (const spec of PANEL_OPTIONS) {
    let value = spec.defaultValue;
    if (file[spec.key] !== undefined) value = coerce(spec, file[spec.key], `config file ${configPath}`);
    const flag = parsed.values[spec.flag];
    if (flag !== undefined) value = coerce(spec, flag, `--${spec.flag}`);
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') value = coerce(spec, fromEnv, spec.env ?? spec.key);
    config[spec.key] = value;
  }
  config.dataDir = resolve(config.dataDir as string);
  return { help: false, config: config as unknown as PanelConfig };
}

export function defaultPanelConfig(overrides: Partial<PanelConfig> = {}): PanelConfig {
  const base = Object.fromEntries(
    PANEL_OPTIONS.map((o) => [o.key, o.defaultValue]),
  ) as unknown as PanelConfig;
  return { ...base, ...overrides };
}
