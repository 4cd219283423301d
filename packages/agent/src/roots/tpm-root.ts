import { createHash, verify } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityKey, RootOfTrust, RootOfTrustFacts, TlsClientKey } from './root-of-trust.ts';
import { RootOfTrustError } from './root-of-trust-error.ts';
import { readTpmFacts } from './tpm-facts.ts';
import { TpmKeyIndex } from './tpm-key-index.ts';
import { TpmPkcs11Token, type TpmTlsSettings } from './tpm-pkcs11-token.ts';
import { handleHex, PERSISTENT_MAX, PERSISTENT_MIN, TpmTools } from './tpm-tools.ts';

export interface TpmRootOptions {
  /** tss2 TCTI: `device:/dev/tpmrm0`, `tabrmd:…`, or `swtpm:host=…,port=…`. TLS needs a resource manager (tpmrm0 or tabrmd). */
  readonly tcti: string;
  /** Where the label → handle index and the TLS token live (private to the agent). */
  readonly stateDir: string;
  /** TCG-reserved SRK handle (TCG TPM v2.0 Provisioning Guidance §7.5.1). */
  readonly srkHandle?: number;
  /** First handle identity keys may take. */
  readonly firstKeyHandle?: number;
  /** How TLS reaches the keys; `false` when this RoT only signs (tlsClientKey then throws). */
  readonly tls?: TpmTlsSettings | false;
  readonly commandTimeoutMs?: number;
}

const DEFAULT_SRK = 0x81000001;
const DEFAULT_FIRST_KEY = 0x81000010;
/** An unrestricted P-256 signing key whose private part is generated in and never leaves the TPM. */
const KEY_ATTRIBUTES = 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign';
/** TCG SRK template (ECC P-256, AES-128-CFB): the same key tpm2_createprimary -G ecc makes. */
const SRK_ATTRIBUTES = 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt';
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Each open TPM root's tpm2-tools runner, so other TPM work of the agent (attestation) joins its queue. */
const TOOLS = new WeakMap<RootOfTrust, TpmTools>();

/** The tpm2-tools runner of a root opened by openTpmRoot; undefined for any other root. */
export function tpmToolsOf(root: RootOfTrust): TpmTools | undefined {
  return TOOLS.get(root);
}

/**
 * Opens the TPM 2.0 root of trust: checks the TPM answers, makes sure the
 * storage root key exists at `srkHandle` (creating and persisting it if
 * needed), and reads the label index from `stateDir`.
 */
export async function openTpmRoot(options: TpmRootOptions): Promise<RootOfTrust> {
  if (options.tcti.trim() === '') throw new RootOfTrustError('ROT_CONFIG_INVALID', 'the TPM TCTI is empty');
  const srkHandle = options.srkHandle ?? DEFAULT_SRK;
  const firstKeyHandle = options.firstKeyHandle ?? DEFAULT_FIRST_KEY;
  for (const [name, handle] of [
    ['srkHandle', srkHandle],
    ['firstKeyHandle', firstKeyHandle],
  ] as const) {
    if (!Number.isInteger(handle) || handle < PERSISTENT_MIN || handle > PERSISTENT_MAX) {
      throw new RootOfTrustError(
        'ROT_CONFIG_INVALID',
        `${name} must be an owner persistent handle (0x81000000–0x817fffff)`,
      );
    }
  }
  const tools = new TpmTools(options.tcti, options.commandTimeoutMs ?? 30_000);
  await tools.text('tpm2_getcap', ['properties-fixed'], 'ROT_UNAVAILABLE');
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  await ensureSrk(tools, srkHandle);
  const index = await TpmKeyIndex.open(join(options.stateDir, 'tpm-keys.json'));
  const token =
    options.tls === false
      ? undefined
      : new TpmPkcs11Token(tools, options.stateDir, srkHandle, options.tls ?? {});
  let closed = false;

  const usable = () => {
    if (closed) throw new RootOfTrustError('ROT_OPERATION_FAILED', 'the TPM root of trust is closed');
  };

  const identityKey = (label: string, handle: number, spki: Uint8Array): IdentityKey => ({
    label,
    algorithm: 'ECDSA-P256-SHA256',
    publicKeySpki: spki,
    async sign(data) {
      usable();
      const current = index.get(label);
      if (current === undefined || current.handle !== handle || !Buffer.from(spki).equals(current.spki)) {
        throw new RootOfTrustError('ROT_OPERATION_FAILED', `TPM key "${label}" was deleted or replaced`);
      }
      const signature = await withTemp(async (dir) => {
        const digestFile = join(dir, 'digest');
        const signatureFile = join(dir, 'signature');
        // Hash in Node and sign the digest (-d): the TPM input buffer (1 KiB) stays out of the way.
        await writeFile(digestFile, createHash('sha256').update(data).digest());
        await tools.text('tpm2_sign', [
          ...['-c', handleHex(handle), '-g', 'sha256', '-s', 'ecdsa', '-d'],
          // "plain" is OpenSSL's format: a DER Ecdsa-Sig-Value for ECC keys.
          ...['-f', 'plain', '-o', signatureFile, digestFile],
        ]);
        return new Uint8Array(await readFile(signatureFile));
      });
      // Checking the signature proves the key at the handle is still the one recorded (and the output is DER).
      const key = { key: Buffer.from(spki), format: 'der', type: 'spki', dsaEncoding: 'der' } as const;
      if (!verify('sha256', data, key, signature)) {
        throw new RootOfTrustError(
          'ROT_KEY_CORRUPT',
          `TPM handle ${handleHex(handle)} signed with a key other than "${label}"`,
        );
      }
      return signature;
    },
    tlsClientKey(): TlsClientKey {
      usable();
      if (token === undefined) {
        throw new RootOfTrustError('ROT_CONFIG_INVALID', 'this TPM root was opened with tls: false');
      }
      return { kind: 'node-options', options: token.tlsOptions(label) };
    },
  });

  const readSpki = (handle: number) =>
    withTemp(async (dir) => {
      const file = join(dir, 'public.der');
      await tools.text('tpm2_readpublic', ['-c', handleHex(handle), '-f', 'der', '-o', file]);
      return new Uint8Array(await readFile(file));
    });

  const root: RootOfTrust = {
    kind: 'tpm',
    hardwareBacked: true,

    async createKey(label) {
      usable();
      checkLabel(label);
      // Replacing a label: the old key goes first, so its handle can be reused.
      await root.deleteKey(label);
      const inUse = await tools.persistentHandles();
      let handle = firstKeyHandle;
      while (inUse.has(handle) || index.usesHandle(handle)) handle++;
      if (handle > PERSISTENT_MAX)
        throw new RootOfTrustError('ROT_OPERATION_FAILED', 'no free persistent handle');
      const spki = await withTemp(async (dir) => {
        const [pub, priv, context] = [join(dir, 'key.pub'), join(dir, 'key.priv'), join(dir, 'key.ctx')];
        // Scheme null: the signing scheme is chosen per signature (tpm2-pkcs11 refuses keys bound to one).
        await tools.text('tpm2_create', [
          ...['-C', handleHex(srkHandle), '-G', 'ecc256:null', '-a', KEY_ATTRIBUTES],
          ...['-u', pub, '-r', priv],
        ]);
        await tools.text('tpm2_load', ['-C', handleHex(srkHandle), '-u', pub, '-r', priv, '-c', context]);
        try {
          await tools.text('tpm2_evictcontrol', ['-C', 'o', '-c', context, handleHex(handle)]);
        } finally {
          await flushTransient(tools, context);
        }
        const spki = await readSpki(handle);
        if (token !== undefined) await token.link(label, pub, priv);
        return spki;
      });
      await index.set(label, { handle, spki });
      return identityKey(label, handle, spki);
    },

    async loadKey(label) {
      usable();
      checkLabel(label);
      const record = index.get(label);
      if (record === undefined) return undefined;
      if (!(await tools.persistentHandles()).has(record.handle)) {
        throw new RootOfTrustError(
          'ROT_KEY_CORRUPT',
          `TPM key "${label}" is missing from handle ${handleHex(record.handle)} (TPM cleared?)`,
        );
      }
      const spki = await readSpki(record.handle);
      if (!Buffer.from(spki).equals(record.spki)) {
        throw new RootOfTrustError(
          'ROT_KEY_CORRUPT',
          `TPM handle ${handleHex(record.handle)} holds a key other than "${label}"`,
        );
      }
      return identityKey(label, record.handle, spki);
    },

    async deleteKey(label) {
      usable();
      checkLabel(label);
      const record = index.get(label);
      if (record !== undefined && (await tools.persistentHandles()).has(record.handle)) {
        // Only evict what is provably ours: another tool may have reused the handle since.
        const spki = await readSpki(record.handle);
        if (Buffer.from(spki).equals(record.spki)) {
          await tools.text('tpm2_evictcontrol', ['-C', 'o', '-c', handleHex(record.handle)]);
        }
      }
      await token?.unlink(label);
      if (record !== undefined) await index.delete(label);
    },

    async facts(): Promise<RootOfTrustFacts> {
      usable();
      return readTpmFacts(tools);
    },

    async close() {
      closed = true;
    },

    async [Symbol.asyncDispose]() {
      await root.close();
    },
  };
  TOOLS.set(root, tools);
  return root;
}

async function ensureSrk(tools: TpmTools, srkHandle: number): Promise<void> {
  if ((await tools.persistentHandles()).has(srkHandle)) {
    const pub = (await tools.yaml('tpm2_readpublic', ['-c', handleHex(srkHandle)])) as {
      attributes?: { value?: unknown };
    } | null;
    const attributes = String(pub?.attributes?.value ?? '').split('|');
    if (
      !attributes.includes('restricted') ||
      !attributes.includes('decrypt') ||
      !attributes.includes('fixedtpm')
    ) {
      throw new RootOfTrustError(
        'ROT_CONFIG_INVALID',
        `TPM handle ${handleHex(srkHandle)} holds a key that is not a storage key (restricted, decrypt, fixedtpm)`,
      );
    }
    return;
  }
  await withTemp(async (dir) => {
    const context = join(dir, 'srk.ctx');
    await tools.text('tpm2_createprimary', [
      ...['-C', 'o', '-g', 'sha256', '-G', 'ecc256:null:aes128cfb', '-a', SRK_ATTRIBUTES, '-c', context],
    ]);
    try {
      await tools.text('tpm2_evictcontrol', ['-C', 'o', '-c', context, handleHex(srkHandle)]);
    } finally {
      await flushTransient(tools, context);
    }
  });
}

/**
 * Without a resource manager a loaded transient object holds one of ~3 slots
 * until flushed. With one (tpmrm0, tabrmd) it went when the loading process
 * exited and the saved context no longer loads: nothing left to free.
 */
async function flushTransient(tools: TpmTools, context: string): Promise<void> {
  await tools.text('tpm2_flushcontext', [context]).catch(async () => {
    // Some tpm2-tools builds cannot reload the saved context: flush every transient of this
    // connection (without a resource manager that is the whole TPM, used by this RoT alone).
    await tools.text('tpm2_flushcontext', ['-t']).catch(() => undefined);
  });
}

function checkLabel(label: string): void {
  if (!LABEL.test(label)) {
    throw new RootOfTrustError(
      'ROT_CONFIG_INVALID',
      'a TPM key label is 1–64 letters, digits, ".", "_" or "-"',
      {
        details: { label: label.slice(0, 80) },
      },
    );
  }
}

async function withTemp<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-tpm-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
