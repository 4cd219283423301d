import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootOfTrustError } from '../roots/root-of-trust-error.ts';
import { handleHex, type TpmTools } from '../roots/tpm-tools.ts';

/**
 * TCG EK Credential Profile 2.x §2.2.1.5 and TCG TPM v2.0 Provisioning
 * Guidance §7.8: the RSA 2048 EK (default template) lives at 0x81010001;
 * its certificate, when the manufacturer provisioned one, at NV 0x01C00002.
 */
export const EK_HANDLE = 0x81010001;
/** The AK's owner persistent handle, clear of the identity keys (0x81000010 upwards) and the SRK. */
export const DEFAULT_AK_HANDLE = 0x81000020;

export interface QuoteFiles {
  /** `-m`: TPMS_ATTEST. */
  readonly message: Uint8Array;
  /** `-s`: TPMT_SIGNATURE. */
  readonly signature: Uint8Array;
  /** `-o … -F values`: the quoted PCR values, concatenated in selection order. */
  readonly pcrValues: Uint8Array;
}

/**
 * The device side of TPM attestation, with the root of trust's tpm2-tools
 * runner: the EK, an attestation key made under it (restricted ECDSA P-256
 * signing, `tpm2_createak`), credential activation and quotes. Every step
 * works in a private temporary directory and flushes what it loaded: without
 * a resource manager the TPM has about three transient slots.
 */
export class TpmAttestor {
  readonly #tools: TpmTools;
  readonly akHandle: number;

  constructor(tools: TpmTools, akHandle = DEFAULT_AK_HANDLE) {
    this.#tools = tools;
    this.akHandle = akHandle;
  }

  /** TPM2B_PUBLIC of the EK, created (and persisted) from the endorsement seed if the platform has not. */
  async endorsementKey(): Promise<Uint8Array> {
    return this.#withTemp(async (dir) => {
      const out = join(dir, 'ek.pub');
      if ((await this.#tools.persistentHandles()).has(EK_HANDLE)) {
        await this.#tools.text('tpm2_readpublic', ['-c', handleHex(EK_HANDLE), '-o', out]);
      } else {
        // The same key every time: the EK is derived from the endorsement seed with the TCG template.
        await this.#tools.text('tpm2_createek', ['-G', 'rsa', '-c', handleHex(EK_HANDLE), '-u', out]);
      }
      return new Uint8Array(await readFile(out));
    });
  }

  /** TPM2B_PUBLIC of the key at the AK handle, or undefined when the handle is empty. */
  async existingAk(): Promise<Uint8Array | undefined> {
    if (!(await this.#tools.persistentHandles()).has(this.akHandle)) return undefined;
    return this.#withTemp(async (dir) => {
      const out = join(dir, 'ak.pub');
      await this.#tools.text('tpm2_readpublic', ['-c', handleHex(this.akHandle), '-o', out]);
      return new Uint8Array(await readFile(out));
    });
  }

  /**
   * A new AK under the EK, persisted at the AK handle (replacing what the
   * caller established is its own earlier AK there). TPM2B_PUBLIC.
   */
  async createAk(replacing: boolean): Promise<Uint8Array> {
    if ((await this.#tools.persistentHandles()).has(this.akHandle)) {
      if (!replacing)
        throw new RootOfTrustError(
          'ROT_CONFIG_INVALID',
          `TPM handle ${handleHex(this.akHandle)} holds a key this agent did not make; free it or choose another AK handle`,
        );
      await this.#tools.text('tpm2_evictcontrol', ['-C', 'o', '-c', handleHex(this.akHandle)]);
    }
    return this.#withTemp(async (dir) => {
      const [context, pub, name, priv] = ['ak.ctx', 'ak.pub', 'ak.name', 'ak.priv'].map((file) =>
        join(dir, file),
      ) as [string, string, string, string];
      await this.#tools.text('tpm2_createak', [
        ...['-C', handleHex(EK_HANDLE), '-c', context, '-G', 'ecc', '-g', 'sha256', '-s', 'ecdsa'],
        ...['-u', pub, '-n', name, '-r', priv],
      ]);
      try {
        await this.#tools.text('tpm2_evictcontrol', ['-C', 'o', '-c', context, handleHex(this.akHandle)]);
      } finally {
        await this.#flushObject(context);
      }
      return new Uint8Array(await readFile(pub));
    });
  }

  /**
   * TPM2_ActivateCredential (Part 3 §12.5) for the panel's credential
   * (tpm2-tools credential file): the EK's policy is PolicySecret on the
   * endorsement hierarchy, satisfied in a policy session.
   */
  async activateCredential(credential: Uint8Array): Promise<Uint8Array> {
    return this.#withTemp(async (dir) => {
      const [session, input, output] = ['session.ctx', 'credential', 'secret'].map((file) =>
        join(dir, file),
      ) as [string, string, string];
      await writeFile(input, credential, { mode: 0o600 });
      await this.#tools.text('tpm2_startauthsession', ['--policy-session', '-S', session]);
      try {
        await this.#tools.text('tpm2_policysecret', ['-S', session, '-c', 'e']);
        await this.#tools.text('tpm2_activatecredential', [
          ...['-c', handleHex(this.akHandle), '-C', handleHex(EK_HANDLE)],
          ...['-i', input, '-o', output, '-P', `session:${session}`],
        ]);
      } finally {
        await this.#flushSession(session);
      }
      return new Uint8Array(await readFile(output));
    });
  }

  /** TPM2_Quote over `selection` (`sha256:0,1,…`) with the nonce as qualifying data, SHA-256 signature. */
  async quote(nonce: Uint8Array, selection: string): Promise<QuoteFiles> {
    return this.#withTemp(async (dir) => {
      const [message, signature, pcrs] = ['quote.msg', 'quote.sig', 'pcrs.bin'].map((file) =>
        join(dir, file),
      ) as [string, string, string];
      await this.#tools.text('tpm2_quote', [
        ...['-c', handleHex(this.akHandle), '-l', selection, '-q', Buffer.from(nonce).toString('hex')],
        ...['-g', 'sha256', '-m', message, '-s', signature, '-o', pcrs, '-F', 'values'],
      ]);
      return {
        message: new Uint8Array(await readFile(message)),
        signature: new Uint8Array(await readFile(signature)),
        pcrValues: new Uint8Array(await readFile(pcrs)),
      };
    });
  }

  /**
   * Flushes the object saved in `context`. A resource manager (tpmrm0,
   * tabrmd) already flushed it when the creating tool exited, and the saved
   * context no longer loads: then every transient object of this connection
   * (the whole TPM's without a resource manager, which the agent alone uses).
   */
  async #flushObject(context: string): Promise<void> {
    await this.#tools.text('tpm2_flushcontext', [context]).catch(async () => {
      await this.#tools.text('tpm2_flushcontext', ['-t']).catch(() => undefined);
    });
  }

  /**
   * Flushes the session saved in `context`, and only it: session handles are
   * not virtualized by a resource manager, so flushing "all sessions" would
   * also end the ones tpm2-pkcs11 signs the agent's TLS handshakes with.
   */
  async #flushSession(context: string): Promise<void> {
    await this.#tools.text('tpm2_flushcontext', [context]).catch(() => undefined);
  }

  async #withTemp<T>(body: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-attest-'));
    try {
      return await body(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
