/**
 * The inventory facts compliance reads (Secure Boot, root-volume encryption,
 * TPM presence), parsed from what the agent reported. The report is stored as
 * the device sent it, so it is untrusted: anything malformed becomes an
 * unknown fact saying so, never an exception and never a plausible value.
 */
import type { InventoryFact } from '@palisade/core';

/** Reasons come from the device and end up in reports: bounded and printable. */
export const MAX_REASON_LENGTH = 200;
export const UNREADABLE = 'the inventory report does not say';

export interface PlatformFacts {
  readonly secureBoot: InventoryFact<'enabled' | 'disabled' | 'setup-mode'>;
  readonly rootEncrypted: InventoryFact<boolean>;
  readonly tpmPresent: InventoryFact<boolean>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** C0 and C1 controls, and the Unicode line and paragraph separators. */
export function isControl(char: string): boolean {
  const c = char.codePointAt(0) ?? 0;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
}

function printable(text: string): string {
  // A reason is one line of text: controls become spaces, runs of spaces one.
  const cleaned = [...text]
    .map((char) => (isControl(char) ? ' ' : char))
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim();
  return cleaned.length > MAX_REASON_LENGTH ? `${cleaned.slice(0, MAX_REASON_LENGTH - 1)}…` : cleaned;
}

/** The agent's `Fact<T>`: `{ known: true, value }` or `{ known: false, reason }`. */
function fact<T>(raw: unknown, value: (v: unknown) => T | undefined): InventoryFact<T> {
  if (!isRecord(raw)) return { known: false, reason: UNREADABLE };
  if (raw.known === true) {
    const parsed = value(raw.value);
    return parsed === undefined ? { known: false, reason: UNREADABLE } : { known: true, value: parsed };
  }
  if (raw.known === false && typeof raw.reason === 'string' && printable(raw.reason).length > 0)
    return { known: false, reason: printable(raw.reason) };
  return { known: false, reason: UNREADABLE };
}

const SECURE_BOOT_STATES = ['enabled', 'disabled', 'setup-mode'] as const;

/** `inventory.secureBoot`, `inventory.diskEncryption` and `inventory.tpm` as the agent reports them (types.ts). */
export function parsePlatformFacts(raw: {
  readonly secureBoot: unknown;
  readonly diskEncryption: unknown;
  readonly tpm: unknown;
}): PlatformFacts {
  const secureBoot = fact(raw.secureBoot, (v) => SECURE_BOOT_STATES.find((state) => state === v));
  const disk = fact(raw.diskEncryption, (v) => (isRecord(v) ? v : undefined));
  const rootEncrypted: InventoryFact<boolean> = disk.known
    ? fact(disk.value.rootEncrypted, (v) => (typeof v === 'boolean' ? v : undefined))
    : disk;
  const tpmPresent = fact(raw.tpm, (v) =>
    isRecord(v) && typeof v.present === 'boolean' ? v.present : undefined,
  );
  return { secureBoot, rootEncrypted, tpmPresent };
}
