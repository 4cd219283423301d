import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog } from '../audit/index.ts';
import { ConfigError } from '../config/index.ts';
import { type Db, migrate, openPgliteDb, openPostgresDb } from '../db/index.ts';
import { DeviceRegistry } from '../devices/index.ts';
import {
  type CaKeySource,
  fileKeySource,
  PASSPHRASE_FILE,
  PkiError,
  pkcs11KeySource,
  type RotatedIssuingCa,
  resolveKeyPassphrase,
  rotateIssuingCa,
} from '../pki/index.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

export interface CaRotateOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  /** `file` or a pkcs11: URI, as `--ca-key-store`; the new issuing key is made there. */
  readonly caKeyStore: string;
  /** PALISADE_KEY_PASSPHRASE for the file key store. */
  readonly keyPassphrase?: string | undefined;
  /** The offline root key file (`ca init --offline-root`) and PALISADE_ROOT_KEY_PASSPHRASE. */
  readonly rootKey?: { readonly path: string; readonly passphrase: string } | undefined;
  /** Validity of the new issuing CA in years (default 5), capped at the root's expiry. */
  readonly validityYears?: number | undefined;
  readonly now?: Date;
}

export const MAX_ISSUING_VALIDITY_YEARS = 20;

/**
 * `palisade ca rotate-issuing`: a new issuing CA signed by the root, made the
 * current one; the previous one is retired but kept until it expires. Runs
 * against the data directory (refused while a panel holds it) or the shared
 * PostgreSQL database; every panel picks the new CA up at its next start.
 * Audited as `ca.rotate-issuing`, in the rotation's transaction; a refusal
 * once the database is open is audited as a failure.
 */
export async function rotateIssuingCaOffline(options: CaRotateOptions): Promise<RotatedIssuingCa> {
  const validityYears = options.validityYears ?? 5;
  if (
    !(Number.isInteger(validityYears) && validityYears >= 1 && validityYears <= MAX_ISSUING_VALIDITY_YEARS)
  ) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `the issuing CA validity must be a whole number of years from 1 to ${MAX_ISSUING_VALIDITY_YEARS}`,
    );
  }
  if (!(await stat(options.dataDir).catch(() => undefined))?.isDirectory()) {
    throw new PkiError(
      'CA_NOT_INITIALIZED',
      `data directory ${options.dataDir} does not exist; run palisade ca init or start the panel first`,
    );
  }
  const offlineRootKey = options.rootKey && {
    encryptedPkcs8Pem: await readRootKeyFile(options.rootKey.path),
    passphrase: options.rootKey.passphrase,
  };
  const lock = await acquireDataDirLock(options.dataDir, 'palisade ca rotate-issuing');
  try {
    const db = await openDatabase(options);
    try {
      await migrate(db);
      const keys: CaKeySource =
        options.caKeyStore === 'file'
          ? fileKeySource(await existingPassphrase(options.dataDir, options.keyPassphrase))
          : await pkcs11KeySource(options.caKeyStore);
      const audit = new AuditLog(db);
      const registry = new DeviceRegistry(db, audit);
      try {
        return await rotateIssuingCa(db, keys, {
          offlineRootKey,
          validityYears,
          now: options.now ?? new Date(),
          async inTransaction(tx, rotated) {
            const attributed = await registry.attributeUnrecordedCertificates(tx, rotated.previous.serial);
            await audit.appendIn(tx, {
              actor: 'system',
              source: 'cli',
              action: 'ca.rotate-issuing',
              target: `ca:issuing-${rotated.serial}`,
              outcome: 'success',
              details: {
                subject: rotated.subject,
                serial: rotated.serial,
                fingerprint: rotated.fingerprint,
                notAfter: rotated.notAfter,
                previousSerial: rotated.previous.serial,
                previousFingerprint: rotated.previous.fingerprint,
                rootKey: rotated.rootKey,
                keyStore: keys.kind,
                attributedCertificates: attributed,
              },
            });
          },
        });
      } catch (error) {
        if (error instanceof PkiError) {
          await audit.append({
            actor: 'system',
            source: 'cli',
            action: 'ca.rotate-issuing',
            target: 'ca:issuing',
            outcome: 'failure',
            details: { code: error.code },
          });
        }
        throw error;
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

/** The file store's passphrase as the panel has it; never a fresh one, which could not open the existing keys. */
async function existingPassphrase(dataDir: string, fromEnv: string | undefined): Promise<string> {
  if (
    (fromEnv === undefined || fromEnv === '') &&
    !(await stat(join(dataDir, PASSPHRASE_FILE)).catch(() => undefined))
  ) {
    throw new PkiError(
      'CA_KEY_UNREADABLE',
      'the CA keys are encrypted with PALISADE_KEY_PASSPHRASE; set it as for the panel',
    );
  }
  return (await resolveKeyPassphrase(dataDir, fromEnv)).value;
}

async function readRootKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new PkiError('CA_ROOT_KEY_UNREADABLE', `cannot read the root key file ${path}`, { cause: error });
  }
}

async function openDatabase(options: CaRotateOptions): Promise<Db> {
  if (options.databaseUrl) return openPostgresDb(options.databaseUrl);
  const pgdata = join(options.dataDir, 'pgdata');
  // PGlite would create an empty database here and the rotation would find no CA.
  if (!(await stat(join(pgdata, 'PG_VERSION')).catch(() => undefined))) {
    throw new PkiError(
      'CA_NOT_INITIALIZED',
      `no embedded database in ${pgdata}; if the panel uses PostgreSQL, pass --database-url or set DATABASE_URL`,
    );
  }
  return openPgliteDb({ dataDir: pgdata });
}
