import { resolve } from 'node:path';
import { MAX_ISSUING_VALIDITY_YEARS, rotateIssuingCaOffline } from '@palisade/server';
import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption } from '../command-args.ts';
import { json } from '../text-output.ts';

export const CA_ROTATE_HELP = `Usage: palisade ca rotate-issuing --data-dir DIR [--validity-years N] [--root-key FILE]
                                [--database-url URL] [--ca-key-store file|pkcs11:…] [--json]

Issues a new issuing CA under the root and makes it the one that signs new
certificates. The previous issuing CA is retired but kept until it expires:
its device certificates keep working, and the panel keeps publishing its CRL
and answering OCSP for them. Run it with this data directory's panel stopped
(on PostgreSQL other replicas may run); every panel uses the new issuing CA
from its next start, so restart each replica.

  --validity-years N  of the new issuing CA (default 5, at most ${MAX_ISSUING_VALIDITY_YEARS}; never past the root)
  --root-key FILE     the root key file written by 'ca init --offline-root', with its
                      passphrase in PALISADE_ROOT_KEY_PASSPHRASE; required for an offline root
The new key goes to the --ca-key-store (PALISADE_CA_KEY_STORE; file: encrypted with
PALISADE_KEY_PASSPHRASE) that holds the panel's keys.
`;

const COMMAND = 'ca rotate-issuing';

function parseYears(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const years = /^[1-9]\d{0,1}$/.test(value) ? Number(value) : Number.NaN;
  if (!(years <= MAX_ISSUING_VALIDITY_YEARS))
    throw usageError(
      `--validity-years must be a whole number from 1 to ${MAX_ISSUING_VALIDITY_YEARS}`,
      COMMAND,
    );
  return years;
}

/** `palisade ca rotate-issuing`: offline like `ca init`; opens the data directory or DATABASE_URL itself. */
export async function caRotateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      ...HELP_OPTION,
      'data-dir': { type: 'string' },
      'validity-years': { type: 'string' },
      'root-key': { type: 'string' },
      'database-url': { type: 'string' },
      'ca-key-store': { type: 'string' },
      json: { type: 'boolean' },
    },
    COMMAND,
  );
  if (values.help === true) {
    io.out(CA_ROTATE_HELP);
    return 0;
  }
  const dataDir = resolve(requireOption(values['data-dir'], 'data-dir', COMMAND));
  const validityYears = parseYears(values['validity-years']);
  const caKeyStore = values['ca-key-store'] ?? io.env.PALISADE_CA_KEY_STORE ?? 'file';
  if (caKeyStore !== 'file' && !caKeyStore.startsWith('pkcs11:'))
    throw usageError("--ca-key-store must be 'file' or a pkcs11: URI", COMMAND);
  const rootKeyPath = values['root-key'];
  const rootPassphrase = io.env.PALISADE_ROOT_KEY_PASSPHRASE;
  if (rootKeyPath !== undefined && (rootPassphrase === undefined || rootPassphrase === '')) {
    throw usageError('--root-key needs PALISADE_ROOT_KEY_PASSPHRASE in the environment', COMMAND);
  }
  const rotated = await rotateIssuingCaOffline({
    dataDir,
    databaseUrl: values['database-url'] ?? io.env.DATABASE_URL,
    caKeyStore,
    keyPassphrase: io.env.PALISADE_KEY_PASSPHRASE,
    validityYears,
    rootKey:
      rootKeyPath === undefined
        ? undefined
        : { path: resolve(rootKeyPath), passphrase: rootPassphrase ?? '' },
  });
  if (values.json === true) {
    const { certificatePem: _pem, ...facts } = rotated;
    io.out(json(facts));
    return 0;
  }
  io.out(
    `new issuing CA ${rotated.subject}\n` +
      `  serial   ${rotated.serial}\n` +
      `  SHA-256  ${rotated.fingerprint}\n` +
      `  valid until ${rotated.notAfter}\n` +
      `retired ${rotated.previous.subject} (serial ${rotated.previous.serial}); its certificates stay valid until ${rotated.previous.notAfter} at the latest\n` +
      'Restart every panel replica: each one issues from the new CA from its next start.\n',
  );
  return 0;
}
