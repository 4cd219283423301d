import { TCG_EVENT_TYPES, type TcgEventTypeName } from '@palisade/core';
import { AttestationError } from './attestation-error.ts';

/** Allowed SHA-256 digests for the events of one type (on one PCR, or any quoted PCR). */
export interface EventReference {
  readonly type: TcgEventTypeName;
  readonly pcr?: number;
  /** Lower-case hex, 64 digits each. */
  readonly digests: readonly string[];
}

/**
 * What a group's devices are allowed to measure (SB-2, RT-2): per PCR, the
 * allowed SHA-256 values; per event type, the allowed digests (bootloader,
 * kernel, drivers …); and whether Secure Boot must be measured as enabled.
 */
export interface ReferenceValues {
  /** PCR index → allowed SHA-256 values (lower-case hex). */
  readonly pcrs: Readonly<Record<number, readonly string[]>>;
  readonly events: readonly EventReference[];
  readonly requireSecureBoot: boolean;
}

export const REFERENCE_LIMITS = {
  valuesPerPcr: 64,
  eventRules: 64,
  digestsPerRule: 1024,
} as const;

const SHA256_HEX = /^(?:0x)?[0-9a-fA-F]{64}$/;
const PCR_KEY = /^(?:[0-9]|1[0-9]|2[0-3])$/;

/** The operator API's JSON schema of a reference-value document (shape only; `parseReferenceValues` does the rest). */
export const REFERENCE_VALUES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pcrs: {
      type: 'object',
      additionalProperties: false,
      patternProperties: {
        '^(?:[0-9]|1[0-9]|2[0-3])$': {
          type: 'array',
          maxItems: REFERENCE_LIMITS.valuesPerPcr,
          items: { type: 'string', pattern: SHA256_HEX.source },
        },
      },
    },
    events: {
      type: 'array',
      maxItems: REFERENCE_LIMITS.eventRules,
      items: {
        type: 'object',
        required: ['type', 'digests'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', pattern: '^EV_[A-Z0-9_]{1,60}$' },
          pcr: { type: 'integer', minimum: 0, maximum: 23 },
          digests: {
            type: 'array',
            maxItems: REFERENCE_LIMITS.digestsPerRule,
            items: { type: 'string', pattern: SHA256_HEX.source },
          },
        },
      },
    },
    requireSecureBoot: { type: 'boolean' },
  },
} as const;

/**
 * Parses a reference-value document (operator input, or one stored earlier)
 * into ReferenceValues: digests normalized to lower case without `0x`,
 * duplicates dropped, event types checked against the PC Client PFP names.
 *
 * @throws AttestationError ATTESTATION_SETTINGS_INVALID naming every problem.
 */
export function parseReferenceValues(input: unknown): ReferenceValues {
  const problems: string[] = [];
  if (!isRecord(input)) problems.push('the document is not an object');
  const document = isRecord(input) ? input : {};
  const pcrs: Record<number, string[]> = {};
  const rawPcrs = document.pcrs ?? {};
  if (!isRecord(rawPcrs)) problems.push('pcrs is not an object of PCR index → digests');
  else {
    for (const [key, values] of Object.entries(rawPcrs)) {
      if (!PCR_KEY.test(key)) problems.push(`pcrs.${key.slice(0, 8)} is not a PCR index 0–23`);
      else pcrs[Number(key)] = digestList(values, `pcrs.${key}`, REFERENCE_LIMITS.valuesPerPcr, problems);
    }
  }
  const events: EventReference[] = [];
  const rawEvents = document.events ?? [];
  if (!Array.isArray(rawEvents) || rawEvents.length > REFERENCE_LIMITS.eventRules)
    problems.push(`events is not a list of at most ${REFERENCE_LIMITS.eventRules} rules`);
  else {
    for (const [index, rule] of (rawEvents as unknown[]).entries()) {
      const at = `events[${index}]`;
      if (!isRecord(rule)) {
        problems.push(`${at} is not an object`);
        continue;
      }
      const type =
        typeof rule.type === 'string' && Object.hasOwn(TCG_EVENT_TYPES, rule.type) ? rule.type : '';
      if (type === '') problems.push(`${at}.type is not a PC Client event type name (EV_…)`);
      const pcr = rule.pcr;
      if (pcr !== undefined && !(Number.isInteger(pcr) && (pcr as number) >= 0 && (pcr as number) <= 23))
        problems.push(`${at}.pcr is not a PCR index 0–23`);
      const digests = digestList(rule.digests, `${at}.digests`, REFERENCE_LIMITS.digestsPerRule, problems);
      events.push({
        type: type as TcgEventTypeName,
        ...(typeof pcr === 'number' ? { pcr } : {}),
        digests,
      });
    }
  }
  const requireSecureBoot = document.requireSecureBoot ?? false;
  if (typeof requireSecureBoot !== 'boolean') problems.push('requireSecureBoot is not a boolean');
  if (problems.length > 0)
    throw new AttestationError('ATTESTATION_SETTINGS_INVALID', `reference values: ${problems.join('; ')}`, {
      details: { problems },
    });
  return { pcrs, events, requireSecureBoot: requireSecureBoot === true };
}

/** The JSON form the API answers and the database stores (PCR keys as strings). */
export function referenceValuesJson(values: ReferenceValues): Record<string, unknown> {
  return {
    pcrs: Object.fromEntries(Object.entries(values.pcrs).map(([pcr, digests]) => [pcr, [...digests]])),
    events: values.events.map((rule) => ({ ...rule, digests: [...rule.digests] })),
    requireSecureBoot: values.requireSecureBoot,
  };
}

/** Reference values that allow what either allows (record golden values from several devices). */
export function mergeReferenceValues(a: ReferenceValues, b: ReferenceValues): ReferenceValues {
  const pcrs: Record<number, string[]> = {};
  for (const source of [a.pcrs, b.pcrs])
    for (const [pcr, digests] of Object.entries(source))
      pcrs[Number(pcr)] = union(pcrs[Number(pcr)] ?? [], digests);
  const events: EventReference[] = [];
  for (const rule of [...a.events, ...b.events]) {
    const same = events.findIndex((other) => other.type === rule.type && other.pcr === rule.pcr);
    const existing = events[same];
    if (existing === undefined) events.push(rule);
    else events[same] = { ...existing, digests: union(existing.digests, rule.digests) };
  }
  return { pcrs, events, requireSecureBoot: a.requireSecureBoot && b.requireSecureBoot };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function digestList(value: unknown, at: string, max: number, problems: string[]): string[] {
  if (!Array.isArray(value) || value.length > max) {
    problems.push(`${at} is not a list of at most ${max} SHA-256 digests`);
    return [];
  }
  const digests = new Set<string>();
  value.forEach((digest: unknown, index) => {
    if (typeof digest !== 'string' || !SHA256_HEX.test(digest))
      problems.push(`${at}[${index}] is not a SHA-256 digest (64 hex digits)`);
    else digests.add(digest.toLowerCase().replace(/^0x/, ''));
  });
  return [...digests];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
