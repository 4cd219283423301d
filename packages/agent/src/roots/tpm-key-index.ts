import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { RootOfTrustError } from './root-of-trust-error.ts';

export interface TpmKeyRecord {
  /** The persistent handle the key was evicted to. */
  readonly handle: number;
  /** Its SubjectPublicKeyInfo at creation, to recognise it later. */
  readonly spki: Uint8Array;
}

interface IndexFile {
  readonly version: 1;
  readonly keys: Record<string, { handle: string; spki: string }>;
}

/**
 * Which persistent handle holds which label's key: a small JSON file in the
 * RoT's state directory. The TPM has no names for persistent objects, so
 * this file is the only link; it holds no secrets (handles and public keys).
 */
export class TpmKeyIndex {
  readonly #file: string;
  readonly #keys: Map<string, TpmKeyRecord>;

  private constructor(file: string, keys: Map<string, TpmKeyRecord>) {
    this.#file = file;
    this.#keys = keys;
  }

  static async open(file: string): Promise<TpmKeyIndex> {
    if (!existsSync(file)) return new TpmKeyIndex(file, new Map());
    return new TpmKeyIndex(file, parseIndex(await readFile(file, 'utf8'), file));
  }

  get(label: string): TpmKeyRecord | undefined {
    return this.#keys.get(label);
  }

  usesHandle(handle: number): boolean {
    return [...this.#keys.values()].some((record) => record.handle === handle);
  }

  async set(label: string, record: TpmKeyRecord): Promise<void> {
    this.#keys.set(label, record);
    await this.#save();
  }

  async delete(label: string): Promise<void> {
    this.#keys.delete(label);
    await this.#save();
  }

  async #save(): Promise<void> {
    const body: IndexFile = {
      version: 1,
      keys: Object.fromEntries(
        [...this.#keys].map(([label, record]) => [
          label,
          { handle: `0x${record.handle.toString(16)}`, spki: Buffer.from(record.spki).toString('base64') },
        ]),
      ),
    };
    // Write-then-rename: a crash leaves the old index or the new one, never half of one.
    const temporary = `${this.#file}.tmp`;
    await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.#file);
  }
}

function parseIndex(text: string, file: string): Map<string, TpmKeyRecord> {
  const corrupt = (why: string) => new RootOfTrustError('ROT_KEY_CORRUPT', `TPM key index ${file}: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  const body = parsed as Partial<IndexFile> | null;
  if (body?.version !== 1 || typeof body.keys !== 'object' || body.keys === null)
    throw corrupt('not a version 1 index');
  const keys = new Map<string, TpmKeyRecord>();
  for (const [label, entry] of Object.entries(body.keys)) {
    const handle =
      typeof entry?.handle === 'string' && /^0x[0-9a-f]{8}$/.test(entry.handle)
        ? Number(entry.handle)
        : Number.NaN;
    const spki = typeof entry?.spki === 'string' ? Buffer.from(entry.spki, 'base64') : Buffer.alloc(0);
    if (Number.isNaN(handle) || spki.length === 0)
      throw corrupt(`entry "${label.slice(0, 64)}" is malformed`);
    keys.set(label, { handle, spki: new Uint8Array(spki) });
  }
  return keys;
}
