import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AgentError } from '../agent-error.ts';
import { type AttestationSettings, parseAttestationSettings } from '../attestation/attestation-settings.ts';
import { type PolicySettings, parsePolicySettings } from '../policies/policy-settings.ts';

export const DEFAULT_AGENT_CONFIG_PATH = '/etc/palisade/agent.yaml';

export type AgentRootOfTrustConfig =
  | { readonly kind: 'software'; readonly passphraseFile?: string }
  | { readonly kind: 'pkcs11'; readonly uri: string }
  | { readonly kind: 'tpm'; readonly tcti: string };

/** `palisade agent`'s configuration, as parsed from `/etc/palisade/agent.yaml`. */
export interface AgentConfig {
  /** The device's ID as registered in the panel (the LDevID's CN). */
  readonly deviceId: string;
  /** Keys (software RoT), identity, outbox: private to the agent (0700). */
  readonly stateDir: string;
  readonly panel: {
    /** Device-listener URLs, tried in order (fail-over). */
    readonly urls: readonly URL[];
    /** The panel's root CA (PEM file), pinned: the only trust anchor for the panel. */
    readonly caFile: string;
    readonly serverName?: string;
  };
  readonly enrollment: {
    /** File holding the one-time enrollment token (read when needed; deleted after use is up to the operator). */
    readonly tokenFile?: string;
    /** IEEE 802.1AR manufacturer certificate and its key: a PEM key file, or a key label in the root of trust. */
    readonly idevid?: {
      readonly certificateFile: string;
      readonly keyFile?: string;
      readonly keyLabel?: string;
    };
    /** EST label: `/.well-known/est/<label>/` (a device group's enrollment profile). */
    readonly estLabel?: string;
  };
  readonly rootOfTrust: AgentRootOfTrustConfig;
  readonly outbox: { readonly maxBytes: number };
  readonly inventoryIntervalSeconds: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Policy state, the firewall's nft, the crypto include, the config allow-list (policies/policy-settings.ts). */
  readonly policies: PolicySettings;
  /** Remote attestation of a TPM agent (attestation/attestation-settings.ts). */
  readonly attestation: AttestationSettings;
}

interface Problem {
  readonly field: string;
  readonly message: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LABEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AgentError('AGENT_CONFIG_INVALID', `cannot read the agent configuration ${path}`, {
      cause: error,
    });
  }
  let document: unknown;
  try {
    // prettyErrors would quote the offending line, which may hold a PIN (a pkcs11: URI's
    // pin-value): the message gives its position instead.
    document = parseYaml(text, { maxAliasCount: 10, prettyErrors: false });
  } catch (error) {
    throw new AgentError(
      'AGENT_CONFIG_INVALID',
      `${path} is not valid YAML${positionOf(text, error)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return parseAgentConfig(document, path);
}

/** Parses a configuration document, naming every field at fault at once. */
export function parseAgentConfig(document: unknown, source = 'the configuration'): AgentConfig {
  const problems: Problem[] = [];
  const root = object(document, '', problems);
  const text = (value: unknown, field: string, required: boolean): string | undefined => {
    if (value === undefined || value === null) {
      if (required) problems.push({ field, message: 'is required' });
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push({ field, message: 'must be a non-empty string' });
      return undefined;
    }
    return value;
  };
  const path = (value: unknown, field: string, required: boolean): string | undefined => {
    const found = text(value, field, required);
    if (found !== undefined && !isAbsolute(found))
      problems.push({ field, message: 'must be an absolute path' });
    return found;
  };
  const integer = (value: unknown, field: string, fallback: number, min: number, max: number): number => {
    // YAML writes an empty value (`maxBytes:`) as null: absent, as for every other setting.
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push({ field, message: `must be an integer from ${min} to ${max}` });
      return fallback;
    }
    return value;
  };

  const deviceId = text(root.deviceId, 'deviceId', true);
  if (deviceId !== undefined && !DEVICE_ID.test(deviceId)) {
    problems.push({
      field: 'deviceId',
      message: 'must be 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)',
    });
  }
  const stateDir = path(root.stateDir ?? '/var/lib/palisade', 'stateDir', true);

  const panel = object(root.panel, 'panel', problems);
  unknownKeys(panel, 'panel', ['url', 'urls', 'caFile', 'serverName'], problems);
  const urls: URL[] = [];
  const panelUrl = (raw: unknown, field: string) => {
    const url = httpsUrl(raw);
    if (url) urls.push(url);
    else problems.push({ field, message: URL_RULE });
  };
  if (isPresent(panel.url) && isPresent(panel.urls)) {
    // Either would be silently ignored otherwise: say so instead.
    problems.push({ field: 'panel.url', message: 'cannot be given together with panel.urls' });
  } else if (isPresent(panel.url)) {
    panelUrl(panel.url, 'panel.url');
  } else if (!Array.isArray(panel.urls) || panel.urls.length === 0) {
    problems.push({
      field: 'panel.urls',
      message: 'must list at least one https:// URL of the device listener',
    });
  } else {
    for (const [index, raw] of panel.urls.entries()) panelUrl(raw, `panel.urls[${index}]`);
  }
  const caFile = path(panel.caFile, 'panel.caFile', true);
  const serverName = text(panel.serverName, 'panel.serverName', false);

  const enrollment = object(root.enrollment ?? {}, 'enrollment', problems);
  unknownKeys(enrollment, 'enrollment', ['tokenFile', 'idevid', 'estLabel'], problems);
  const tokenFile = path(enrollment.tokenFile, 'enrollment.tokenFile', false);
  const estLabel = text(enrollment.estLabel, 'enrollment.estLabel', false);
  if (estLabel !== undefined && !LABEL.test(estLabel)) {
    problems.push({ field: 'enrollment.estLabel', message: 'must be a device group name' });
  }
  let idevid: AgentConfig['enrollment']['idevid'];
  if (isPresent(enrollment.idevid)) {
    const raw = object(enrollment.idevid, 'enrollment.idevid', problems);
    unknownKeys(raw, 'enrollment.idevid', ['certificateFile', 'keyFile', 'keyLabel'], problems);
    const certificateFile = path(raw.certificateFile, 'enrollment.idevid.certificateFile', true);
    const keyFile = path(raw.keyFile, 'enrollment.idevid.keyFile', false);
    const keyLabel = text(raw.keyLabel, 'enrollment.idevid.keyLabel', false);
    if ((keyFile === undefined) === (keyLabel === undefined)) {
      problems.push({ field: 'enrollment.idevid', message: 'needs exactly one of keyFile or keyLabel' });
    }
    if (certificateFile) {
      idevid = { certificateFile, ...(keyFile ? { keyFile } : {}), ...(keyLabel ? { keyLabel } : {}) };
    }
  }

  const rot = object(root.rootOfTrust ?? { kind: 'software' }, 'rootOfTrust', problems);
  let rootOfTrust: AgentRootOfTrustConfig = { kind: 'software' };
  switch (rot.kind) {
    case 'software': {
      unknownKeys(rot, 'rootOfTrust', ['kind', 'passphraseFile'], problems);
      const passphraseFile = path(rot.passphraseFile, 'rootOfTrust.passphraseFile', false);
      rootOfTrust = { kind: 'software', ...(passphraseFile ? { passphraseFile } : {}) };
      break;
    }
    case 'pkcs11': {
      unknownKeys(rot, 'rootOfTrust', ['kind', 'uri'], problems);
      const uri = text(rot.uri, 'rootOfTrust.uri', true);
      if (uri !== undefined && !uri.startsWith('pkcs11:')) {
        problems.push({ field: 'rootOfTrust.uri', message: 'must be a pkcs11: URI (RFC 7512)' });
      }
      rootOfTrust = { kind: 'pkcs11', uri: uri ?? '' };
      break;
    }
    case 'tpm':
      unknownKeys(rot, 'rootOfTrust', ['kind', 'tcti'], problems);
      rootOfTrust = { kind: 'tpm', tcti: text(rot.tcti, 'rootOfTrust.tcti', false) ?? 'device:/dev/tpmrm0' };
      break;
    default:
      problems.push({ field: 'rootOfTrust.kind', message: 'must be software, pkcs11 or tpm' });
  }

  const outbox = object(root.outbox ?? {}, 'outbox', problems);
  unknownKeys(outbox, 'outbox', ['maxBytes'], problems);
  const maxBytes = integer(outbox.maxBytes, 'outbox.maxBytes', 64 * 1024 * 1024, 1024 * 1024, 64 * 1024 ** 3);
  const inventoryIntervalSeconds = integer(
    root.inventoryIntervalSeconds,
    'inventoryIntervalSeconds',
    300,
    10,
    86_400,
  );
  const policies = parsePolicySettings(root.policies, stateDir, problems);
  const attestation = parseAttestationSettings(root.attestation, problems);
  const logLevel = root.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as (typeof LOG_LEVELS)[number])) {
    problems.push({ field: 'logLevel', message: `must be one of ${LOG_LEVELS.join(', ')}` });
  }
  unknownKeys(
    root,
    '',
    [
      'deviceId',
      'stateDir',
      'panel',
      'enrollment',
      'rootOfTrust',
      'outbox',
      'inventoryIntervalSeconds',
      'logLevel',
      'policies',
      'attestation',
    ],
    problems,
  );

  if (problems.length > 0 || deviceId === undefined || stateDir === undefined || caFile === undefined) {
    throw new AgentError(
      'AGENT_CONFIG_INVALID',
      `${source} is invalid: ${problems.map((p) => `${p.field || '(document)'} ${p.message}`).join('; ')}`,
      { details: { problems } },
    );
  }
  return {
    deviceId,
    stateDir,
    panel: { urls, caFile, ...(serverName ? { serverName } : {}) },
    enrollment: {
      ...(tokenFile ? { tokenFile } : {}),
      ...(idevid ? { idevid } : {}),
      ...(estLabel ? { estLabel } : {}),
    },
    rootOfTrust,
    outbox: { maxBytes },
    inventoryIntervalSeconds,
    logLevel: logLevel as AgentConfig['logLevel'],
    policies,
    attestation,
  };
}

/** ` (line L, column C)` of a YAML parse error's offset (`pos`), or nothing when it has none. */
function positionOf(text: string, error: unknown): string {
  const offset = (error as { pos?: unknown } | null)?.pos;
  const at = Array.isArray(offset) ? offset[0] : undefined;
  if (typeof at !== 'number' || !Number.isInteger(at) || at < 0) return '';
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

const URL_RULE = 'must be an https:// URL with a host and no path, query, fragment or credentials';

/**
 * A device-listener URL: https only, and nothing the client would drop
 * without a word (requests go to absolute paths such as `/v1/devices/…`,
 * so a path prefix would be ignored; credentials have no use here).
 */
function httpsUrl(raw: unknown): URL | undefined {
  if (typeof raw !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const plain =
    url.protocol === 'https:' &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    !raw.includes('?') &&
    !raw.includes('#');
  return plain ? url : undefined;
}

/** YAML writes an empty value as null; like a missing key, it means "use the default". */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** A misspelt key would otherwise leave its setting at the default without a word. */
function unknownKeys(
  value: Record<string, unknown>,
  field: string,
  allowed: readonly string[],
  problems: Problem[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      problems.push({ field: field === '' ? key : `${field}.${key}`, message: 'is not a known setting' });
    }
  }
}

function object(value: unknown, field: string, problems: Problem[]): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  problems.push({ field, message: value === undefined ? 'is required' : 'must be a mapping' });
  return {};
}
