import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's softhsm2 (libsofthsm2) installs the module here. */
const DEFAULT_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmTokenOptions {
  readonly label?: string;
  readonly pin?: string;
  readonly soPin?: string;
}

export interface SoftHsmToken extends AsyncDisposable {
  /** `pkcs11:token=…?module-path=…&pin-value=…` for the new token. */
  readonly uri: string;
  readonly modulePath: string;
  /** The SOFTHSM2_CONF this token lives under (also set in process.env while the token exists). */
  readonly confPath: string;
  readonly tokenDir: string;
  readonly label: string;
  readonly pin: string;
  /** `pkcs11-tool` arguments that select this token's module, for independent checks. */
  readonly toolArgs: readonly string[];
}

let active: string | undefined;

/**
 * Creates a fresh SoftHSM2 token in a temporary directory with its own
 * SOFTHSM2_CONF, and points `process.env.SOFTHSM2_CONF` at it until disposed
 * (child processes such as `pkcs11-tool` inherit it).
 *
 * SoftHSM reads SOFTHSM2_CONF once, when the module is initialised in the
 * process, so one process can use one token configuration at a time: a second
 * token while the first exists throws, and tests in one file must share the
 * token or create them one after another (`node --test` runs each file in its
 * own process, so files are independent). Close every key store on a token
 * before disposing of it, or the module keeps the old configuration.
 *
 * @example
 * await using token = await createSoftHsmToken({ label: 'palisade' });
 * const store = await openPkcs11KeyStore(token.uri);
 */
export async function createSoftHsmToken(options: SoftHsmTokenOptions = {}): Promise<SoftHsmToken> {
  const label = options.label ?? 'palisade-test';
  const pin = options.pin ?? '1234';
  const soPin = options.soPin ?? '12345678';
  if (active !== undefined) {
    throw new Error(`a SoftHSM token (${active}) already exists in this process; dispose of it first`);
  }
  const modulePath = await softHsmModulePath();
  const directory = await mkdtemp(join(tmpdir(), 'palisade-softhsm-'));
  const tokenDir = join(directory, 'tokens');
  const confPath = join(directory, 'softhsm2.conf');
  await mkdir(tokenDir);
  await writeFile(
    confPath,
    [
      `directories.tokendir = ${tokenDir}`,
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      '',
    ].join('\n'),
  );
  const previous = process.env.SOFTHSM2_CONF;
  active = confPath;
  process.env.SOFTHSM2_CONF = confPath;
  const dispose = async () => {
    if (active !== confPath) return;
    active = undefined;
    if (previous === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previous;
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await run(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin],
      { env: { ...process.env, SOFTHSM2_CONF: confPath }, timeout: 30_000 },
    );
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    uri: `pkcs11:token=${pctEncode(label)}?module-path=${pctEncode(modulePath, '/')}&pin-value=${pctEncode(pin)}`,
    modulePath,
    confPath,
    tokenDir,
    label,
    pin,
    toolArgs: ['--module', modulePath, '--token-label', label],
    [Symbol.asyncDispose]: dispose,
  };
}

async function softHsmModulePath(): Promise<string> {
  if (existsSync(DEFAULT_MODULE)) return DEFAULT_MODULE;
  // dpkg lists what it knows even when one of the packages is missing, but then exits non-zero.
  const listing = await run('dpkg', ['-L', 'libsofthsm2', 'softhsm2'], { timeout: 10_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const found = listing.stdout
    .split('\n')
    .find((line) => line.endsWith('/libsofthsm2.so') && existsSync(line));
  if (found !== undefined) return found;
  throw new Error(`libsofthsm2.so not found at ${DEFAULT_MODULE} nor via dpkg: apt-get install softhsm2`);
}

/** RFC 7512 §2.3 values: everything but unreserved characters (and `keep`) percent-encoded. */
function pctEncode(value: string, keep = ''): string {
  return [...new TextEncoder().encode(value)]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~]/.test(char) || keep.includes(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
