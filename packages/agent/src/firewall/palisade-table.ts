import { FirewallError } from './firewall-error.ts';
import { isTableListing, type PreviousTable } from './firewall-record.ts';
import { type NftResult, type NftRunner, nftComplaint } from './nft-runner.ts';
import { PALISADE_TABLE } from './render-nftables.ts';
import { ABSENT_TABLE_HASH, normalizeNftListing, rulesetHash } from './ruleset-hash.ts';

/**
 * The nft calls on Palisade's own table `inet palisade`: check, load, list,
 * hash, restore. Each script names only this table, and each is one nft
 * transaction: it happens whole or not at all.
 */

const TABLE_WORDS = PALISADE_TABLE.split(' ');
// Create-if-absent then delete: idempotent whether or not the table exists.
export const DELETE_TABLE_SCRIPT = `table ${PALISADE_TABLE} {}\ndelete table ${PALISADE_TABLE}\n`;

/** `nft -c`: throws FIREWALL_RULESET_REFUSED with nft's complaint when the script would not load. */
export async function checkScript(runner: NftRunner, script: string): Promise<void> {
  const result = await runner(['-c', '-f', '-'], script);
  if (result.exitCode !== 0) throw refused('nft -c refused the ruleset', result);
}

/** SHA-256 of the normalized live table, ABSENT_TABLE_HASH when it does not exist. */
export async function liveTableHash(runner: NftRunner): Promise<string> {
  const result = await runner(['-j', 'list', 'table', ...TABLE_WORDS]);
  if (result.exitCode !== 0) {
    if (isTableAbsent(result)) return ABSENT_TABLE_HASH;
    throw commandFailed('nft -j list table', result);
  }
  return rulesetHash(normalizeNftListing(result.stdout));
}

/** The current table as a stateless listing (`-s`: no counter values) nft can load again, or `absent`. */
export async function snapshotTable(runner: NftRunner): Promise<PreviousTable> {
  const result = await runner(['-s', 'list', 'table', ...TABLE_WORDS]);
  if (result.exitCode !== 0) {
    if (isTableAbsent(result)) return { kind: 'absent' };
    throw commandFailed('nft list table', result);
  }
  if (!isTableListing(result.stdout)) {
    throw new FirewallError(
      'FIREWALL_COMMAND_FAILED',
      'nft listed the table in a form that cannot be restored',
    );
  }
  return { kind: 'table', ruleset: result.stdout };
}

/** The script that puts `previous` back: our table replaced by the saved one, or deleted. */
export function restoreScript(previous: PreviousTable): string {
  return previous.kind === 'absent'
    ? DELETE_TABLE_SCRIPT
    : `${DELETE_TABLE_SCRIPT}${previous.ruleset.trimEnd()}\n`;
}

// nft 1.0.6 reports a missing table as ENOENT from the kernel.
function isTableAbsent(result: NftResult): boolean {
  return result.exitCode === 1 && result.stderr.includes('No such file or directory');
}

export function refused(message: string, result: NftResult): FirewallError {
  const stderr = nftComplaint(result.stderr);
  const firstLine = stderr.split('\n')[0] ?? '';
  return new FirewallError(
    'FIREWALL_RULESET_REFUSED',
    firstLine === '' ? message : `${message}: ${firstLine}`,
    {
      details: { stderr },
    },
  );
}

export function commandFailed(what: string, result: NftResult): FirewallError {
  return new FirewallError('FIREWALL_COMMAND_FAILED', `${what} exited with status ${result.exitCode}`, {
    details: { stderr: nftComplaint(result.stderr) },
  });
}
