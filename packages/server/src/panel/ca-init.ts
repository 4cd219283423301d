import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/index.ts';
import { migrate, openPgliteDb, openPostgresDb } from '../db/index.ts';
import {
  type CaKeySource,
  ensureCaHierarchy,
  fileKeySource,
  PkiError,
  pkcs11KeySource,
  resolveKeyPassphrase,
  sha256Fingerprint,
} from '../pki/index.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

export interface CaInitOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  /** `file` or a pkcs11: URI, as `--ca-key-store`. */
  readonly caKeyStore: string;
  readonly organization: string;
  /** PALISADE_KEY_PASSPHRASE for the file key store. */
  readonly keyPassphrase?: string | undefined;
  /** Write the root key here (encrypted with `rootPassphrase`) instead of keeping it in the panel. */
  readonly offlineRoot?: { readonly path: string; readonly passphrase: string } | undefined;
}

/**
 * `palisade ca init`: the CA ceremony before the panel's first start, so the
 * root key can go to an offline safe instead of the panel's database. Refuses
 * when the data directory is in use or a hierarchy already exists.
 */
export async function initializeCa(
  options: CaInitOptions,
): Promise<{ rootFingerprint: string; rootKeyPath?: string }> {
  if (options.offlineRoot && options.offlineRoot.passphrase.length < 16) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'the offline root key passphrase (PALISADE_ROOT_KEY_PASSPHRASE) must have at least 16 characters',
    );
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(options.dataDir, 'palisade ca init');
  try {
    const db = options.databaseUrl
      ? await openPostgresDb(options.databaseUrl)
      : await openPgliteDb({ dataDir: join(options.dataDir, 'pgdata') });
    try {
      await migrate(db);
      const existing = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ca_material');
      if ((existing.rows[0]?.n ?? 0) > 0)
        throw new PkiError(
          'CA_ALREADY_INITIALIZED',
          'this panel already has a CA hierarchy; nothing was changed',
        );
      const keys: CaKeySource =
        options.caKeyStore === 'file'
          ? fileKeySource((await resolveKeyPassphrase(options.dataDir, options.keyPassphrase)).value)
          : await pkcs11KeySource(options.caKeyStore);
      try {
        const offline = options.offlineRoot;
        const hierarchy = await ensureCaHierarchy(
          db,
          keys,
          { organization: options.organization },
          new Date(),
          offline && {
            passphrase: offline.passphrase,
            async write(pem) {
              // 'wx': an existing file is never overwritten; 0600: for the operator's eyes only.
              const handle = await open(offline.path, 'wx', 0o600);
              await handle.writeFile(pem);
              await handle.sync();
              await handle.close();
            },
          },
        );
        const fingerprint = sha256Fingerprint(hierarchy.root.certificate);
        return offline
          ? { rootFingerprint: fingerprint, rootKeyPath: offline.path }
          : { rootFingerprint: fingerprint };
      } finally {
        await keys[Symbol.asyncDispose]();
      }
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
}
