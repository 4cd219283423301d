/**
 * Drives tpm2-tools against one swtpm for the attestation end-to-end tests
 * (tpm-quote.test.ts, tpm-credential.test.ts): the device side of a quote and
 * of credential activation, done the way the agent will do it.
 *
 * There is no resource manager, so the TPM holds ~3 transient objects: keys are
 * made persistent at fixed handles and every step flushes what it loaded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Swtpm, skipUnlessCommand, startSwtpm } from '@palisade/testkit';

const run = promisify(execFile);

/** Both tools, or the reason the attestation tests skip. */
export const SKIP_WITHOUT_TPM_TOOLS =
  skipUnlessCommand('swtpm', ['--version']) || skipUnlessCommand('tpm2_quote', ['--version']);

/**
 * Persistent handles of the keys the tests make (0x8101xxxx: endorsement
 * hierarchy, 0x8100xxxx: owner). swtpm_setup already provisions EKs at
 * 0x81010001 and 0x81010016, so the tests' own stay clear of those.
 */
export const HANDLES = {
  ekRsa: '0x81010101',
  ekEcc: '0x81010102',
  akEcc: '0x81010110',
  akRsa: '0x81010111',
  otherAk: '0x81010112',
  plainSigningKey: '0x81000120',
} as const;

export interface QuoteFiles {
  /** `-m`: TPMS_ATTEST. */
  readonly message: Uint8Array;
  /** `-s`: TPMT_SIGNATURE. */
  readonly signature: Uint8Array;
  /** `-o … -F values`: the selected PCR values, concatenated. */
  readonly pcrValues: Uint8Array;
}

export interface TpmKey {
  readonly handle: string;
  /** TPM2B_PUBLIC (`-u`). */
  readonly public: Uint8Array;
  /** The Name tpm2-tools reports (`-n`). */
  readonly name: Uint8Array;
}

export class TpmAttestationHarness implements AsyncDisposable {
  readonly tpm: Swtpm;
  readonly dir: string;
  #counter = 0;

  private constructor(tpm: Swtpm, dir: string) {
    this.tpm = tpm;
    this.dir = dir;
  }

  static async start(): Promise<TpmAttestationHarness> {
    const tpm = await startSwtpm();
    return new TpmAttestationHarness(tpm, await mkdtemp(join(tmpdir(), 'palisade-tpm-attest-')));
  }

  /** Runs one tpm2-tools command against this TPM; rejects with its stderr on failure. */
  async tool(command: string, args: readonly string[]): Promise<string> {
    try {
      const { stdout } = await run(command, [...args], {
        cwd: this.dir,
        env: { ...process.env, TPM2TOOLS_TCTI: this.tpm.tcti },
        timeout: 60_000,
      });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error });
    }
  }

  async flushTransient(): Promise<void> {
    await this.tool('tpm2_flushcontext', ['-t']);
    await this.tool('tpm2_flushcontext', ['-l']);
    await this.tool('tpm2_flushcontext', ['-s']);
  }

  /** A fresh file name in the work directory. */
  file(stem: string): string {
    this.#counter += 1;
    return join(this.dir, `${stem}-${this.#counter}`);
  }

  async read(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(path));
  }

  async write(bytes: Uint8Array): Promise<string> {
    const path = this.file('input');
    await writeFile(path, bytes);
    return path;
  }

  /** `tpm2_createek -G rsa|ecc`, persisted at `handle` (createek persists when -c is a handle). */
  async createEk(kind: 'rsa' | 'ecc', handle: string): Promise<Uint8Array> {
    const pub = this.file(`ek-${kind}.pub`);
    await this.tool('tpm2_createek', ['-G', kind, '-c', handle, '-u', pub]);
    await this.flushTransient();
    return this.read(pub);
  }

  /** `tpm2_createak` under the EK at `ekHandle` (ECC P-256 ecdsa/sha256 or RSA 2048 rsassa/sha256), persisted. */
  async createAk(kind: 'ecc' | 'rsa', ekHandle: string, handle: string): Promise<TpmKey> {
    const [pub, name, priv, ctx] = ['pub', 'name', 'priv', 'ctx'].map((ext) =>
      this.file(`ak-${kind}.${ext}`),
    ) as [string, string, string, string];
    const scheme = kind === 'ecc' ? 'ecdsa' : 'rsassa';
    await this.tool('tpm2_createak', [
      '-C',
      ekHandle,
      '-c',
      ctx,
      '-G',
      kind,
      '-g',
      'sha256',
      '-s',
      scheme,
      '-u',
      pub,
      '-n',
      name,
      '-r',
      priv,
    ]);
    await this.flushTransient();
    await this.tool('tpm2_evictcontrol', ['-C', 'o', '-c', ctx, handle]);
    await this.flushTransient();
    return { handle, public: await this.read(pub), name: await this.read(name) };
  }

  /**
   * An ordinary (not restricted) ECC signing key from `tpm2_create` under an
   * owner primary: it can sign quotes, but also any data, so it proves nothing.
   */
  async createPlainSigningKey(handle: string): Promise<TpmKey> {
    const [primary, pub, priv, ctx] = ['primary.ctx', 'pub', 'priv', 'ctx'].map((ext) =>
      this.file(`plain.${ext}`),
    ) as [string, string, string, string];
    await this.tool('tpm2_createprimary', ['-C', 'o', '-g', 'sha256', '-G', 'ecc', '-c', primary]);
    await this.flushTransient();
    await this.tool('tpm2_create', [
      '-C',
      primary,
      '-G',
      'ecc256:ecdsa-sha256',
      '-a',
      'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign',
      '-u',
      pub,
      '-r',
      priv,
    ]);
    await this.flushTransient();
    await this.tool('tpm2_load', ['-C', primary, '-u', pub, '-r', priv, '-c', ctx]);
    await this.flushTransient();
    await this.tool('tpm2_evictcontrol', ['-C', 'o', '-c', ctx, handle]);
    await this.flushTransient();
    const name = this.file('plain.name');
    await this.tool('tpm2_readpublic', ['-c', handle, '-n', name]);
    return { handle, public: await this.read(pub), name: await this.read(name) };
  }

  /** The device side of a quote: `tpm2_quote -q <nonce> -l <selection> -g sha256 -m -s -o -F values`. */
  async quote(keyHandle: string, nonce: Uint8Array, selection: string): Promise<QuoteFiles> {
    const [message, signature, pcrs] = ['msg', 'sig', 'pcrs'].map((ext) => this.file(`quote.${ext}`)) as [
      string,
      string,
      string,
    ];
    await this.tool('tpm2_quote', [
      '-c',
      keyHandle,
      '-l',
      selection,
      '-q',
      Buffer.from(nonce).toString('hex'),
      '-g',
      'sha256',
      '-m',
      message,
      '-s',
      signature,
      '-o',
      pcrs,
      '-F',
      'values',
    ]);
    await this.flushTransient();
    return {
      message: await this.read(message),
      signature: await this.read(signature),
      pcrValues: await this.read(pcrs),
    };
  }

  /** tpm2_checkquote's verdict on the same inputs: the independent verifier. */
  async checkquote(
    akPublic: Uint8Array,
    quote: QuoteFiles,
    nonce: Uint8Array,
    selection: string,
  ): Promise<'valid' | 'invalid'> {
    try {
      await this.tool('tpm2_checkquote', [
        '-u',
        await this.write(akPublic),
        '-m',
        await this.write(quote.message),
        '-s',
        await this.write(quote.signature),
        '-f',
        await this.write(quote.pcrValues),
        '-l',
        selection,
        '-g',
        'sha256',
        '-q',
        Buffer.from(nonce).toString('hex'),
      ]);
      return 'valid';
    } catch {
      return 'invalid';
    }
  }

  /**
   * The device side of credential activation, as tpm2-tools documents it: the
   * EK's policy (PolicySecret on the endorsement hierarchy) in a policy
   * session, then `tpm2_activatecredential`. Returns the released secret.
   */
  async activateCredential(
    akHandle: string,
    ekHandle: string,
    credentialFile: Uint8Array,
  ): Promise<Uint8Array> {
    const session = this.file('session.ctx');
    const secret = this.file('activated');
    await this.tool('tpm2_startauthsession', ['--policy-session', '-S', session]);
    try {
      await this.tool('tpm2_policysecret', ['-S', session, '-c', 'e']);
      await this.tool('tpm2_activatecredential', [
        '-c',
        akHandle,
        '-C',
        ekHandle,
        '-i',
        await this.write(credentialFile),
        '-o',
        secret,
        '-P',
        `session:${session}`,
      ]);
    } finally {
      await this.flushTransient();
    }
    return this.read(secret);
  }

  /** tpm2-tools' own offline TPM2_MakeCredential (`-T none`): the reference for our TypeScript one. */
  async makeCredentialOffline(
    ekPublic: Uint8Array,
    akName: Uint8Array,
    secret: Uint8Array,
  ): Promise<Uint8Array> {
    const out = this.file('cred');
    await run(
      'tpm2_makecredential',
      [
        '-T',
        'none',
        '-u',
        await this.write(ekPublic),
        '-s',
        await this.write(secret),
        '-n',
        Buffer.from(akName).toString('hex'),
        '-o',
        out,
      ],
      { cwd: this.dir, timeout: 60_000 },
    );
    return this.read(out);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.tpm[Symbol.asyncDispose]();
    await rm(this.dir, { recursive: true, force: true });
  }
}
