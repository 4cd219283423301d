import { isIPv4, isIPv6 } from 'node:net';
import { FIREWALL_LIMITS, type FirewallPortRange } from '@palisade/core';

/**
 * Policy values turned into nft tokens. The policy parser already rejects bad
 * values; these checks run again because their output is fed, as root, to
 * nft's own parser: every token is either rebuilt from a strict grammar or
 * refused, so no policy text can add nft syntax (a second rule, a `delete`).
 */

/** nft's address families: `ip` matches IPv4 packets, `ip6` IPv6 ones. */
export type NftFamily = 'ip' | 'ip6';

export interface NftAddress {
  readonly family: NftFamily;
  /** `10.0.0.0/8`, `fd00::1`: address and optional prefix, nothing else. */
  readonly text: string;
}

const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

/** An IPv4 or IPv6 address or CIDR (`10.1.0.0/16`, `fd00::/8`), or undefined. Zone ids (`%eth0`) are refused. */
export function nftAddress(cidr: string): NftAddress | undefined {
  const parts = cidr.split('/');
  if (parts.length > 2) return undefined;
  const [address = '', prefix] = parts;
  const family: NftFamily | undefined = isIPv4(address)
    ? 'ip'
    : isIPv6(address) && !address.includes('%')
      ? 'ip6'
      : undefined;
  if (family === undefined) return undefined;
  if (prefix !== undefined) {
    if (!PREFIX_LENGTH.test(prefix) || Number(prefix) > (family === 'ip' ? 32 : 128)) return undefined;
  }
  return { family, text: family === 'ip6' ? cidr.toLowerCase() : cidr };
}

// Linux interface names are any bytes but `/`, `:` and whitespace; this is
// the portable subset nft quotes without surprises, plus nft's trailing `*`
// wildcard (prefix match) so a policy can name `wlan*`.
const INTERFACE_NAME = /^[A-Za-z0-9_.@+-]+\*?$/;

/** `"eth0"` (quoted for nft), or undefined when the name is empty, too long or outside the safe set. */
export function nftInterfaceName(name: string): string | undefined {
  if (name.length > FIREWALL_LIMITS.interfaceLength || !INTERFACE_NAME.test(name)) return undefined;
  return `"${name}"`;
}

// nft ends a quoted string at the next `"` and has no escape for it, so the
// comment keeps only characters that mean nothing to nft's scanner; anything
// else (quotes, backslashes, braces, `;`, `#`, `$`, newlines, non-ASCII)
// becomes `_`.
const COMMENT_UNSAFE = /[^A-Za-z0-9 _.,:/()+=@%!?'-]/g;

/**
 * The comment as an nft `comment "…"` argument (quoted), or undefined when
 * nothing printable remains. Truncated to FIREWALL_LIMITS.commentLength, which
 * is also nft's own limit (128 characters).
 */
export function nftComment(text: string): string | undefined {
  const safe = Array.from(text)
    .map((character) => character.replace(COMMENT_UNSAFE, '_'))
    .join('')
    .slice(0, FIREWALL_LIMITS.commentLength)
    .trim();
  return safe === '' ? undefined : `"${safe}"`;
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** `22`, `8000-8080` or `{ 22, 8000-8080 }`; undefined for an empty list or a port outside 1–65535 or a reversed range. */
export function nftPorts(ranges: readonly FirewallPortRange[]): string | undefined {
  if (ranges.length === 0) return undefined;
  const items: string[] = [];
  for (const { from, to } of ranges) {
    if (!isPort(from) || !isPort(to) || from > to) return undefined;
    items.push(from === to ? `${from}` : `${from}-${to}`);
  }
  return nftSet(items);
}

/** One element bare, several as an anonymous set (nft merges duplicates and overlaps itself). */
export function nftSet(items: readonly string[]): string {
  return items.length === 1 ? `${items[0]}` : `{ ${items.join(', ')} }`;
}
