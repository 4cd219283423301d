import type { CryptVolumeType } from './types.ts';

export interface CryptTarget {
  readonly name: string;
  readonly cipher: string;
  /** The backing device as dm prints it: `major:minor` or a path. */
  readonly device: string;
}

const MAX_LINE_CHARS = 4096;
/** `<name>: <start> <length> crypt <cipher> <key> <iv_offset> <device> <offset> [<#opt> <opt>…]` (dm-crypt.rst). */
const CRYPT_LINE = /^(.+?): \d+ \d+ crypt (\S+) \S+ \d+ (\S+) \d+(?: .*)?$/;

/**
 * Parses `dmsetup table --target crypt`. The key field is matched and dropped
 * here so that key material (which `--showkeys` or old dmsetup versions print)
 * never reaches the inventory. "No devices found" and any line of another
 * shape yield nothing. A multi-segment device keeps its first segment.
 */
export function parseDmsetupCryptTable(text: string): CryptTarget[] {
  const targets = new Map<string, CryptTarget>();
  for (const line of text.split('\n')) {
    if (line.length > MAX_LINE_CHARS) continue;
    const match = CRYPT_LINE.exec(line.trimEnd());
    if (match === null) continue;
    const [, name = '', cipher = '', device = ''] = match;
    if (!targets.has(name)) targets.set(name, { name, cipher, device });
  }
  return [...targets.values()];
}

const UUID_PREFIXES: readonly (readonly [string, CryptVolumeType])[] = [
  ['CRYPT-LUKS1-', 'luks1'],
  ['CRYPT-LUKS2-', 'luks2'],
  ['CRYPT-PLAIN-', 'plain'],
  ['CRYPT-TCRYPT-', 'tcrypt'],
  ['CRYPT-BITLK-', 'bitlk'],
];

/**
 * The kind of a dm-crypt mapping from the dm UUID cryptsetup assigns
 * (`/sys/block/dm-N/dm/uuid`, lib/utils_dm / `dm_prepare_uuid` in cryptsetup):
 * `CRYPT-<TYPE>-<uuid>-<name>`. Undefined for anything else.
 */
export function cryptTypeFromDmUuid(uuid: string): CryptVolumeType | undefined {
  return UUID_PREFIXES.find(([prefix]) => uuid.startsWith(prefix))?.[1];
}
