import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { RootOfTrustError, type RootOfTrustErrorCode } from './root-of-trust-error.ts';

const run = promisify(execFile);

/** TCG "Registry of Reserved TPM 2.0 Handles": owner persistent objects live in 0x81000000–0x817FFFFF. */
export const PERSISTENT_MIN = 0x81000000;
export const PERSISTENT_MAX = 0x817fffff;

export function handleHex(handle: number): string {
  return `0x${handle.toString(16).padStart(8, '0')}`;
}

/**
 * Runs tpm2-tools (and tpm2_ptool) against one TPM, one command at a time.
 *
 * Serialising matters without a resource manager: swtpm then has about three
 * transient object slots shared by every client, so each step flushes what it
 * loaded before the next one starts. Arguments are passed as an array (no
 * shell), and failures become RootOfTrustErrors carrying the tool's first
 * error line, never its arguments (they may hold a PIN).
 */
export class TpmTools {
  readonly tcti: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutMs: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(tcti: string, timeoutMs: number) {
    this.tcti = tcti;
    this.#timeoutMs = timeoutMs;
    // tpm2-tools read TPM2TOOLS_TCTI, tpm2_ptool and the tpm2-pkcs11 library TPM2_PKCS11_TCTI.
    this.#env = { ...process.env, TPM2TOOLS_TCTI: tcti, TPM2_PKCS11_TCTI: tcti };
  }

  /** Runs `command`; stdout as text. */
  async text(
    command: string,
    args: readonly string[],
    failure: RootOfTrustErrorCode = 'ROT_OPERATION_FAILED',
  ): Promise<string> {
    return (await this.#exec(command, args, 'utf8', failure)).toString('utf8');
  }

  /** Runs `command`; stdout as bytes (NV contents). */
  async bytes(
    command: string,
    args: readonly string[],
    failure: RootOfTrustErrorCode = 'ROT_OPERATION_FAILED',
  ): Promise<Buffer> {
    return this.#exec(command, args, 'buffer', failure);
  }

  /** Runs `command` and parses its YAML output (tpm2-tools print YAML). */
  async yaml(
    command: string,
    args: readonly string[],
    failure: RootOfTrustErrorCode = 'ROT_OPERATION_FAILED',
  ): Promise<unknown> {
    const text = await this.text(command, args, failure);
    try {
      return parseYaml(text);
    } catch (cause) {
      throw new RootOfTrustError('ROT_OPERATION_FAILED', `${command} printed output that is not YAML`, {
        cause,
      });
    }
  }

  /** Persistent handles currently in the TPM. */
  async persistentHandles(): Promise<Set<number>> {
    const listed = await this.yaml('tpm2_getcap', ['handles-persistent']);
    const handles = Array.isArray(listed) ? listed : [];
    return new Set(handles.map((entry) => Number(entry)).filter((handle) => Number.isInteger(handle)));
  }

  #exec(
    command: string,
    args: readonly string[],
    encoding: 'utf8' | 'buffer',
    failure: RootOfTrustErrorCode,
  ): Promise<Buffer> {
    const next = this.#queue.then(async () => {
      try {
        const { stdout } = await run(command, [...args], {
          env: this.#env,
          encoding: 'buffer',
          timeout: this.#timeoutMs,
          maxBuffer: 4 * 1024 * 1024,
        });
        return encoding === 'buffer' ? stdout : Buffer.from(stdout);
      } catch (cause) {
        throw toolError(command, this.tcti, cause, failure);
      }
    });
    // A failed command must not block the ones queued after it.
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function toolError(
  command: string,
  tcti: string,
  raw: unknown,
  failure: RootOfTrustErrorCode,
): RootOfTrustError {
  const detail = raw as { code?: unknown; stderr?: Buffer | string; killed?: boolean };
  if (detail.code === 'ENOENT') {
    return new RootOfTrustError(
      'ROT_UNAVAILABLE',
      `${command} is not installed (apt-get install tpm2-tools)`,
    );
  }
  if (detail.killed === true) {
    return new RootOfTrustError(
      'ROT_UNAVAILABLE',
      `${command} timed out talking to the TPM through TCTI "${tcti}"`,
    );
  }
  const stderr = String(detail.stderr ?? '');
  // The execFile error names the full command line, which may hold a PIN (tpm2_ptool): keep only stderr.
  const cause = new Error(stderr.slice(-2000));
  const errors = stderr
    .split('\n')
    .filter((line) => line.startsWith('ERROR'))
    // "ERROR:tcti:src/…/tcti-swtpm.c:614:Tss2_Tcti_Swtpm_Init() Cannot connect…" → "Cannot connect…"
    .map((line) =>
      line
        .replace(/^ERROR:\S*\(\)\s*/, '')
        .replace(/^ERROR:\s*/, '')
        .trim(),
    );
  const reason = errors[0] ?? (stderr.trim().split('\n').pop() || 'no error output');
  // tss2's TCTI loader says this whenever nothing usable answers behind the TCTI string.
  if (/Could not load tcti|Failed to instantiate TCTI/i.test(stderr)) {
    return new RootOfTrustError('ROT_UNAVAILABLE', `no TPM reachable through TCTI "${tcti}": ${reason}`, {
      cause,
      details: { command },
    });
  }
  return new RootOfTrustError(failure, `${command} failed: ${reason}`, { cause, details: { command } });
}
