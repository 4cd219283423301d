import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../state/atomic-file.ts';
import { FirewallError } from './firewall-error.ts';
import { PALISADE_TABLE } from './render-nftables.ts';

/**
 * What the agent keeps on disk about its firewall, so that the dead-man
 * switch survives a restart: while an application awaits confirmation the
 * file holds the table it replaced, and the next start puts that table back.
 */

/** The table an application replaced: its stateless listing (`nft -s list table`), or that there was none. */
export type PreviousTable =
  | { readonly kind: 'absent' }
  | { readonly kind: 'table'; readonly ruleset: string };

export type FirewallRecord =
  /** Nothing awaits confirmation; `activeHash` is the ruleset hash the live table should have. */
  | { readonly phase: 'settled'; readonly activeHash: string }
  /** An application awaits `confirm` until `deadline` (ISO 8601); otherwise `previous` comes back. */
  | { readonly phase: 'pending'; readonly deadline: string; readonly previous: PreviousTable };

export const FIREWALL_RECORD_FILE = 'firewall.json';
const VERSION = 1;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_RULESET_CHARS = 8 * 1024 * 1024;

export function serializeFirewallRecord(record: FirewallRecord): string {
  return `${JSON.stringify({ version: VERSION, ...record })}\n`;
}

function corrupt(reason: string): FirewallError {
  return new FirewallError('FIREWALL_STATE_CORRUPT', `firewall state file: ${reason}`);
}

/**
 * The record in `text`, or FIREWALL_STATE_CORRUPT. The saved listing is fed
 * back to nft as root on rollback, so it must look like exactly one listing
 * of our table: its own header, indented body, closing brace, nothing else.
 */
export function parseFirewallRecord(text: string): FirewallRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt('not an object');
  const record = value as Record<string, unknown>;
  if (record.version !== VERSION) throw corrupt(`version is not ${VERSION}`);
  if (record.phase === 'settled') {
    if (typeof record.activeHash !== 'string' || !SHA256_HEX.test(record.activeHash)) {
      throw corrupt('activeHash is not a SHA-256 hex digest');
    }
    return { phase: 'settled', activeHash: record.activeHash };
  }
  if (record.phase !== 'pending') throw corrupt('phase is neither settled nor pending');
  if (typeof record.deadline !== 'string' || Number.isNaN(Date.parse(record.deadline))) {
    throw corrupt('deadline is not a date');
  }
  return { phase: 'pending', deadline: record.deadline, previous: parsePrevious(record.previous) };
}

function parsePrevious(value: unknown): PreviousTable {
  const previous = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (previous.kind === 'absent') return { kind: 'absent' };
  if (previous.kind !== 'table' || typeof previous.ruleset !== 'string') {
    throw corrupt('previous is neither absent nor a table');
  }
  if (!isTableListing(previous.ruleset))
    throw corrupt(`previous.ruleset is not a listing of ${PALISADE_TABLE}`);
  return { kind: 'table', ruleset: previous.ruleset };
}

/**
 * `table inet palisade {` … `}` and nothing outside those braces: nft ignores
 * layout, so the braces are counted (outside quoted strings, which nft ends
 * at the next `"`) and may close the table only at the very end; no `#`
 * comments, which nft listings never print. Whatever is
 * inside a table block can only define things in that table.
 */
export function isTableListing(ruleset: string): boolean {
  if (ruleset.length > MAX_RULESET_CHARS) return false;
  const header = `table ${PALISADE_TABLE} {`;
  const text = ruleset.trimEnd();
  if (!text.startsWith(`${header}\n`) || !text.endsWith('\n}')) return false;
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (character === '"') quoted = !quoted;
    // A `#` comment would hide braces and quotes from nft; listings have none.
    else if (!quoted && character === '#') return false;
    else if (!quoted && character === '{') depth += 1;
    else if (!quoted && character === '}') {
      depth -= 1;
      if (depth === 0 && index !== text.length - 1) return false;
    }
  }
  return depth === 0 && !quoted;
}

/** The record at `path`, or undefined when the agent never applied a firewall there. */
export async function readFirewallRecord(path: string): Promise<FirewallRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FirewallError('FIREWALL_STATE_CORRUPT', `firewall state file unreadable (${errnoOf(error)})`, {
      cause: error,
    });
  }
  return parseFirewallRecord(text);
}

/** Replaces the record durably (temp file, fsync, rename, fsync dir): a crash leaves the old one or the new one. */
export async function writeFirewallRecord(path: string, record: FirewallRecord): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, serializeFirewallRecord(record), 0o600);
  } catch (error) {
    throw new FirewallError('FIREWALL_STATE_CORRUPT', `firewall state file unwritable (${errnoOf(error)})`, {
      cause: error,
    });
  }
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
}
