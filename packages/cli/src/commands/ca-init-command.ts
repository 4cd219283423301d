import { resolve } from 'node:path';
import { initializeCa } from '@palisade/server';
import { usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs, requireOption } from '../command-args.ts';
import { json } from '../text-output.ts';

export const CA_INIT_HELP = `Usage: palisade ca init --data-dir DIR [--offline-root FILE] [--database-url URL]
                        [--ca-key-store file|pkcs11:…] [--organization NAME] [--json]

The CA ceremony, before the panel's first start (the panel must not be running):
creates the root and issuing CA. With --offline-root FILE the root key is written
to FILE, encrypted with PALISADE_ROOT_KEY_PASSPHRASE (at least 16 characters), and
the panel never holds it; keep FILE in an offline safe. The issuing key goes to the
--ca-key-store (encrypted with PALISADE_KEY_PASSPHRASE, or on a PKCS#11 token).
`;

const COMMAND = 'ca init';

/** `palisade ca init`: offline, opens the data directory itself, refuses while a panel holds it. */
export async function caInitCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      ...HELP_OPTION,
      'data-dir': { type: 'string' },
      'offline-root': { type: 'string' },
      'database-url': { type: 'string' },
      'ca-key-store': { type: 'string' },
      organization: { type: 'string' },
      json: { type: 'boolean' },
    },
    COMMAND,
  );
  if (values.help === true) {
    io.out(CA_INIT_HELP);
    return 0;
  }
  const dataDir = resolve(requireOption(values['data-dir'], 'data-dir', COMMAND));
  const caKeyStore = values['ca-key-store'] ?? io.env.PALISADE_CA_KEY_STORE ?? 'file';
  if (caKeyStore !== 'file' && !caKeyStore.startsWith('pkcs11:'))
    throw usageError("--ca-key-store must be 'file' or a pkcs11: URI", COMMAND);
  const offlineRootPath = values['offline-root'];
  const rootPassphrase = io.env.PALISADE_ROOT_KEY_PASSPHRASE;
  if (offlineRootPath !== undefined && (rootPassphrase === undefined || rootPassphrase === '')) {
    throw usageError('--offline-root needs PALISADE_ROOT_KEY_PASSPHRASE in the environment', COMMAND);
  }
  const result = await initializeCa({
    dataDir,
    databaseUrl: values['database-url'] ?? io.env.DATABASE_URL,
    caKeyStore,
    organization: values.organization ?? 'Palisade',
    keyPassphrase: io.env.PALISADE_KEY_PASSPHRASE,
    offlineRoot:
      offlineRootPath === undefined
        ? undefined
        : { path: resolve(offlineRootPath), passphrase: rootPassphrase ?? '' },
  });
  if (values.json === true) {
    io.out(json(result));
  } else {
    io.out(`CA hierarchy created; root CA SHA-256 ${result.rootFingerprint}\n`);
    if (result.rootKeyPath)
      io.out(
        `root key written to ${result.rootKeyPath}: move it to offline storage; the panel does not need it\n`,
      );
  }
  return 0;
}
