import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { claimEngineEnvironment, DEBIAN_OPENSSL_ENGINES_DIR } from './openssl-engine.ts';
import { RootOfTrustError } from './root-of-trust-error.ts';
import { handleHex, type TpmTools } from './tpm-tools.ts';

/** Where Debian's libtpm2-pkcs11-1 installs its module. */
export const DEBIAN_TPM2_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';

export interface TpmTlsSettings {
  /** tpm2-pkcs11's PKCS#11 module (libtpm2-pkcs11-1). */
  readonly pkcs11Module?: string;
  /** The directory holding libp11's `pkcs11.so` OpenSSL engine (libengine-pkcs11-openssl). */
  readonly engineDir?: string;
}

const TOKEN_LABEL = 'palisade';

/**
 * Process-wide state of the in-process tpm2-pkcs11 module. Node loads
 * libp11's engine once (by id, from OPENSSL_ENGINES) and the engine
 * initialises tpm2-pkcs11 once; tpm2-pkcs11 reads its token database at that
 * moment and never again. So the environment it reads must not change, and
 * a key linked after the first TLS use is invisible until the process restarts.
 */
let engineEnvironment: string | undefined;
let linkedAfterFirstUse = new Set<string>();

/**
 * A tpm2-pkcs11 token (a SQLite store in the RoT's state directory) whose
 * key objects are the RoT's identity keys, linked from the wrapped blobs
 * tpm2_create wrote. It exists only so Node's TLS stack can reach the TPM
 * key in-process through libp11's OpenSSL engine (`privateKeyEngine`).
 */
export class TpmPkcs11Token {
  readonly #tools: TpmTools;
  readonly #storeDir: string;
  readonly #pinsFile: string;
  readonly #srkHandle: number;
  readonly #module: string;
  readonly #engineDir: string;
  #userPin: string | undefined;

  constructor(tools: TpmTools, stateDir: string, srkHandle: number, settings: TpmTlsSettings) {
    this.#tools = tools;
    this.#storeDir = join(stateDir, 'tpm2-pkcs11');
    this.#pinsFile = join(this.#storeDir, 'pins.json');
    this.#srkHandle = srkHandle;
    this.#module = settings.pkcs11Module ?? DEBIAN_TPM2_PKCS11_MODULE;
    this.#engineDir = settings.engineDir ?? DEBIAN_OPENSSL_ENGINES_DIR;
    this.#userPin = readUserPin(this.#pinsFile);
  }

  /** Makes the key in `pub`/`priv` (tpm2_create output) usable for TLS under `label`, replacing any earlier one. */
  async link(label: string, publicBlob: string, privateBlob: string): Promise<void> {
    const userPin = await this.#ensureToken();
    await this.unlink(label);
    await this.#tools.text('tpm2_ptool', [
      'link',
      '--label',
      TOKEN_LABEL,
      '--key-label',
      label,
      '--userpin',
      userPin,
      '--path',
      this.#storeDir,
      publicBlob,
      privateBlob,
    ]);
    if (engineEnvironment === this.#environmentKey()) linkedAfterFirstUse.add(label);
  }

  /** Removes the key objects under `label` (the wrapped private blob goes with them). */
  async unlink(label: string): Promise<void> {
    if (this.#userPin === undefined) return;
    const listed = await this.#tools.yaml('tpm2_ptool', [
      'listobjects',
      '--label',
      TOKEN_LABEL,
      '--path',
      this.#storeDir,
    ]);
    const objects = Array.isArray(listed) ? (listed as unknown[]) : [];
    for (const object of objects) {
      const { CKA_LABEL: objectLabel, id } = (object ?? {}) as { CKA_LABEL?: unknown; id?: unknown };
      if (objectLabel === label && typeof id === 'number') {
        await this.#tools.text('tpm2_ptool', ['objdel', '--path', this.#storeDir, String(id)]);
      }
    }
  }

  /** `tls.connect` options that sign with the TPM key under `label`. */
  tlsOptions(label: string): Pick<ConnectionOptions, 'privateKeyEngine' | 'privateKeyIdentifier'> {
    if (this.#userPin === undefined) {
      throw new RootOfTrustError(
        'ROT_OPERATION_FAILED',
        `TPM key "${label}" was never linked into the TLS token`,
      );
    }
    const key = this.#environmentKey();
    if (engineEnvironment !== undefined && engineEnvironment !== key) {
      throw new RootOfTrustError(
        'ROT_CONFIG_INVALID',
        'another TPM root already set up TLS in this process; tpm2-pkcs11 serves one store and TCTI per process',
      );
    }
    if (linkedAfterFirstUse.has(label)) {
      throw new RootOfTrustError(
        'ROT_RESTART_REQUIRED',
        `TPM key "${label}" was created after this process first used the TPM for TLS; tpm2-pkcs11 reads its keys once per process, so restart the agent to use it`,
      );
    }
    if (engineEnvironment === undefined) {
      claimEngineEnvironment({
        // libp11's engine loads this module; tpm2-pkcs11 then reads its store and TCTI from these.
        PKCS11_MODULE_PATH: this.#module,
        TPM2_PKCS11_STORE: this.#storeDir,
        TPM2_PKCS11_TCTI: this.#tools.tcti,
        // Lets OpenSSL find the engine by id and keep one shared instance (loading by path makes a new one per context).
        OPENSSL_ENGINES: this.#engineDir,
      });
      engineEnvironment = key;
      linkedAfterFirstUse = new Set();
    }
    return {
      privateKeyEngine: 'pkcs11',
      // RFC 7512 URI; the PIN guards nothing the TPM does not (the key's own auth is empty), it is tpm2-pkcs11's login.
      privateKeyIdentifier: `pkcs11:token=${TOKEN_LABEL};object=${encodeURIComponent(label)};type=private;pin-value=${this.#userPin}`,
    };
  }

  #environmentKey(): string {
    return JSON.stringify([this.#module, this.#storeDir, this.#tools.tcti, this.#engineDir]);
  }

  async #ensureToken(): Promise<string> {
    if (this.#userPin !== undefined) return this.#userPin;
    await mkdir(this.#storeDir, { recursive: true, mode: 0o700 });
    // The store's primary object is the RoT's persistent SRK, so linked blobs load under it.
    const added = await this.#tools.yaml('tpm2_ptool', [
      'init',
      '--primary-handle',
      handleHex(this.#srkHandle),
      '--path',
      this.#storeDir,
    ]);
    const primaryId = (added as { id?: unknown } | null)?.id;
    if (typeof primaryId !== 'number') {
      throw new RootOfTrustError(
        'ROT_OPERATION_FAILED',
        'tpm2_ptool init did not report the primary object id',
      );
    }
    const userPin = randomBytes(16).toString('hex');
    const soPin = randomBytes(16).toString('hex');
    await writeFile(this.#pinsFile, JSON.stringify({ userPin, soPin }), { mode: 0o600 });
    await this.#tools.text('tpm2_ptool', [
      'addtoken',
      '--pid',
      String(primaryId),
      '--label',
      TOKEN_LABEL,
      '--userpin',
      userPin,
      '--sopin',
      soPin,
      '--path',
      this.#storeDir,
    ]);
    this.#userPin = userPin;
    return userPin;
  }
}

function readUserPin(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const { userPin } = JSON.parse(readFileSync(file, 'utf8')) as { userPin?: unknown };
    if (typeof userPin === 'string' && /^[0-9a-f]{32}$/.test(userPin)) return userPin;
  } catch {
    // Reported below, without the file's contents.
  }
  throw new RootOfTrustError('ROT_KEY_CORRUPT', `the TPM TLS token's PIN file ${file} is unreadable`);
}
