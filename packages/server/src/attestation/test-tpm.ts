/**
 * Test-only: the device side of attestation against a real swtpm, done with
 * tpm2-tools the way the agent does it (EK at the TCG handle swtpm_setup
 * provisions, its certificate from NV, an AK made under it and persisted),
 * so the attestation context's tests verify what a TPM really emits.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type BuiltEventLog,
  extendIntoTpm,
  type Swtpm,
  skipUnlessCommand,
  startSwtpm,
} from '@palisade/testkit';

const run = promisify(execFile);

/** Both tools, or why the attestation tests skip. */
export const SKIP_WITHOUT_TPM =
  skipUnlessCommand('swtpm', ['--version']) || skipUnlessCommand('tpm2_quote', ['--version']);

/** TCG EK Credential Profile: the RSA 2048 EK's persistent handle and its certificate's NV index. */
export const EK_HANDLE = '0x81010001';
const EK_CERTIFICATE_NV = '0x01c00002';
export const AK_HANDLE = '0x81000020';
export const OTHER_AK_HANDLE = '0x81000021';

export interface TestQuote {
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly pcrValues: Uint8Array;
}

export class TestTpm implements AsyncDisposable {
  readonly swtpm: Swtpm;
  readonly #dir: string;
  #files = 0;

  private constructor(swtpm: Swtpm, dir: string) {
    this.swtpm = swtpm;
    this.#dir = dir;
  }

  static async start(): Promise<TestTpm> {
    return new TestTpm(await startSwtpm(), await mkdtemp(join(tmpdir(), 'palisade-test-tpm-')));
  }

  async tool(command: string, args: readonly string[]): Promise<string> {
    try {
      const { stdout } = await run(command, [...args], {
        cwd: this.#dir,
        env: { ...process.env, TPM2TOOLS_TCTI: this.swtpm.tcti },
        timeout: 60_000,
      });
      return stdout;
    } catch (error) {
      throw new Error(`${command} ${args.join(' ')}: ${(error as { stderr?: string }).stderr ?? ''}`, {
        cause: error,
      });
    }
  }

  #file(stem: string): string {
    this.#files += 1;
    return join(this.#dir, `${this.#files}-${stem}`);
  }

  async #read(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(path));
  }

  async #flush(): Promise<void> {
    for (const kind of ['-t', '-l', '-s']) await this.tool('tpm2_flushcontext', [kind]);
  }

  /** TPM2B_PUBLIC of the EK swtpm_setup persisted. */
  async ekPublic(): Promise<Uint8Array> {
    const out = this.#file('ek.pub');
    await this.tool('tpm2_readpublic', ['-c', EK_HANDLE, '-o', out]);
    return this.#read(out);
  }

  /** TPM2B_PUBLIC of the key persisted at `handle`. */
  async akPublic(handle = AK_HANDLE): Promise<Uint8Array> {
    const out = this.#file('ak.pub');
    await this.tool('tpm2_readpublic', ['-c', handle, '-o', out]);
    return this.#read(out);
  }

  /** The EK certificate swtpm's local CA issued, as PEM. */
  async ekCertificatePem(): Promise<string> {
    const out = this.#file('ek.der');
    await this.tool('tpm2_nvread', [EK_CERTIFICATE_NV, '-o', out]);
    return new X509Certificate(await readFile(out)).toString();
  }

  /** `tpm2_createak` under the EK (ECC P-256, ecdsa/sha256), persisted at `handle`; TPM2B_PUBLIC. */
  async createAk(handle = AK_HANDLE): Promise<Uint8Array> {
    const [ctx, pub, name, priv] = ['ctx', 'pub', 'name', 'priv'].map((ext) => this.#file(`ak.${ext}`)) as [
      string,
      string,
      string,
      string,
    ];
    const persisted = await this.tool('tpm2_getcap', ['handles-persistent']);
    if (persisted.includes(handle)) await this.tool('tpm2_evictcontrol', ['-C', 'o', '-c', handle]);
    await this.tool('tpm2_createak', [
      ...['-C', EK_HANDLE, '-c', ctx, '-G', 'ecc', '-g', 'sha256', '-s', 'ecdsa'],
      ...['-u', pub, '-n', name, '-r', priv],
    ]);
    await this.tool('tpm2_evictcontrol', ['-C', 'o', '-c', ctx, handle]);
    await this.#flush();
    return this.#read(pub);
  }

  /** TPM2_ActivateCredential with the EK's PolicySecret(endorsement) session: the released secret. */
  async activate(credential: Uint8Array, akHandle = AK_HANDLE): Promise<Uint8Array> {
    const session = this.#file('session.ctx');
    const input = this.#file('credential');
    const out = this.#file('secret');
    await writeFile(input, credential);
    await this.tool('tpm2_startauthsession', ['--policy-session', '-S', session]);
    try {
      await this.tool('tpm2_policysecret', ['-S', session, '-c', 'e']);
      await this.tool('tpm2_activatecredential', [
        ...['-c', akHandle, '-C', EK_HANDLE, '-i', input, '-o', out, '-P', `session:${session}`],
      ]);
    } finally {
      await this.#flush();
    }
    return this.#read(out);
  }

  /** `tpm2_quote -l <selection> -q <nonce> -g sha256 -m -s -o -F values`. */
  async quote(nonce: Uint8Array, selection: string, akHandle = AK_HANDLE): Promise<TestQuote> {
    const [message, signature, pcrs] = ['msg', 'sig', 'pcrs'].map((ext) => this.#file(`quote.${ext}`)) as [
      string,
      string,
      string,
    ];
    await this.tool('tpm2_quote', [
      ...['-c', akHandle, '-l', selection, '-q', Buffer.from(nonce).toString('hex'), '-g', 'sha256'],
      ...['-m', message, '-s', signature, '-o', pcrs, '-F', 'values'],
    ]);
    await this.#flush();
    return {
      message: await this.#read(message),
      signature: await this.#read(signature),
      pcrValues: await this.#read(pcrs),
    };
  }

  /** Extends what the log's events extend (in order), as firmware would have. */
  async extendLog(log: BuiltEventLog): Promise<void> {
    await extendIntoTpm(log, this.swtpm.tcti);
  }

  /** An extend the log does not record: a boot artifact measured behind the log's back. */
  async extend(pcr: number, sha256Hex: string, sha1Hex = '00'.repeat(20)): Promise<void> {
    await this.tool('tpm2_pcrextend', [`${pcr}:sha1=${sha1Hex},sha256=${sha256Hex}`]);
  }

  /** Power-cycles the TPM (TPM Reset: resetCount goes up, PCRs start over). */
  async reboot(): Promise<void> {
    await this.swtpm.restart();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.swtpm[Symbol.asyncDispose]();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
