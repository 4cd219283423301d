import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AgentError } from '../agent-error.ts';

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
    document = parseYaml(text, { maxAliasCount: 10 });
  } catch (error) {
    throw new AgentError('AGENT_CONFIG_INVALID', `${path} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
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
    if (value === undefined) return fallback;
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
  const urls: URL[] = [];
  const rawUrls = typeof panel.url === 'string' ? [panel.url] : panel.urls;
  if (!Array.isArray(rawUrls) || rawUrls.length === 0) {
    problems.push({
      field: 'panel.urls',
      message: 'must list at least one https:// URL of the device listener',
    });
  } else {
    rawUrls.forEach((raw, index) => {
      try {
        const url = new URL(String(raw));
        if (url.protocol !== 'https:') throw new Error('not https');
        urls.push(url);
      } catch {
        problems.push({ field: `panel.urls[${index}]`, message: 'must be an https:// URL' });
      }
    });
  }
  const caFile = path(panel.caFile, 'panel.caFile', true);
  const serverName = text(panel.serverName, 'panel.serverName', false);

  const enrollment = object(root.enrollment ?? {}, 'enrollment', problems);
  const tokenFile = path(enrollment.tokenFile, 'enrollment.tokenFile', false);
  const estLabel = text(enrollment.estLabel, 'enrollment.estLabel', false);
  if (estLabel !== undefined && !LABEL.test(estLabel)) {
    problems.push({ field: 'enrollment.estLabel', message: 'must be a device group name' });
  }
  let idevid: AgentConfig['enrollment']['idevid'];
  if (enrollment.idevid !== undefined) {
    const raw = object(enrollment.idevid, 'enrollment.idevid', problems);
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
      const passphraseFile = path(rot.passphraseFile, 'rootOfTrust.passphraseFile', false);
      rootOfTrust = { kind: 'software', ...(passphraseFile ? { passphraseFile } : {}) };
      break;
    }
    case 'pkcs11': {
      const uri = text(rot.uri, 'rootOfTrust.uri', true);
      if (uri !== undefined && !uri.startsWith('pkcs11:')) {
        problems.push({ field: 'rootOfTrust.uri', message: 'must be a pkcs11: URI (RFC 7512)' });
      }
      rootOfTrust = { kind: 'pkcs11', uri: uri ?? '' };
      break;
    }
    case 'tpm':
      rootOfTrust = { kind: 'tpm', tcti: text(rot.tcti, 'rootOfTrust.tcti', false) ?? 'device:/dev/tpmrm0' };
      break;
    default:
      problems.push({ field: 'rootOfTrust.kind', message: 'must be software, pkcs11 or tpm' });
  }

  const outbox = object(root.outbox ?? {}, 'outbox', problems);
  const maxBytes = integer(outbox.maxBytes, 'outbox.maxBytes', 64 * 1024 * 1024, 1024 * 1024, 64 * 1024 ** 3);
  const inventoryIntervalSeconds = integer(
    root.inventoryIntervalSeconds,
    'inventoryIntervalSeconds',
    300,
    10,
    86_400,
  );
  const logLevel = root.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as (typeof LOG_LEVELS)[number])) {
    problems.push({ field: 'logLevel', message: `must be one of ${LOG_LEVELS.join(', ')}` });
  }
  const known = new Set([
    'deviceId',
    'stateDir',
    'panel',
    'enrollment',
    'rootOfTrust',
    'outbox',
    'inventoryIntervalSeconds',
    'logLevel',
  ]);
  for (const key of Object.keys(root))
    if (!known.has(key)) problems.push({ field: key, message: 'is not a known setting' });

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
  };
}

function object(value: unknown, field: string, problems: Problem[]): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  problems.push({ field, message: value === undefined ? 'is required' : 'must be a mapping' });
  return {};
}
