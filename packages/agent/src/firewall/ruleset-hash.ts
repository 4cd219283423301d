import { createHash } from 'node:crypto';
import { canonicalJson } from '@palisade/core';
import { FirewallError } from './firewall-error.ts';

/**
 * The live-ruleset hash reported for SC-2: SHA-256 over the canonical JSON
 * (RFC 8785) of `nft -j list table inet palisade`, with what changes on its
 * own removed: handles (renumbered by every replace), counters, quota usage
 * and set-element expiry. Two listings hash equal exactly when they filter
 * the same way.
 */

// nft JSON schema (libnftables-json(5)): `handle` on every object,
// `packets`/`bytes` in counters, `used`/`used_unit` in quotas, `expires` in
// timed set elements.
const VOLATILE_KEYS = new Set(['handle', 'packets', 'bytes', 'used', 'used_unit', 'expires']);

/** The listing's objects (tables, chains, sets, rules) without `metainfo` and volatile keys. */
export function normalizeNftListing(json: string): unknown[] {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new FirewallError('FIREWALL_COMMAND_FAILED', 'nft -j printed something that is not JSON');
  }
  const objects = (document as { nftables?: unknown } | null)?.nftables;
  if (!Array.isArray(objects)) {
    throw new FirewallError('FIREWALL_COMMAND_FAILED', 'nft -j printed JSON without an nftables array');
  }
  return objects
    .filter((entry) => !(typeof entry === 'object' && entry !== null && 'metainfo' in entry))
    .map(withoutVolatileKeys);
}

function withoutVolatileKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatileKeys);
  if (typeof value !== 'object' || value === null) return value;
  // fromEntries defines own properties, so a `__proto__` key stays data.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !VOLATILE_KEYS.has(key))
      .map(([key, child]) => [key, withoutVolatileKeys(child)]),
  );
}

/** Hex SHA-256 of the normalized listing. */
export function rulesetHash(normalized: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(normalized), 'utf8').digest('hex');
}

/** The hash when Palisade's table does not exist (never applied, removed, or flushed away). */
export const ABSENT_TABLE_HASH = rulesetHash([]);
