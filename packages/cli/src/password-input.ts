import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';

/**
 * Where passwords come from: never a flag (other users see the process list),
 * but the terminal without echo, or standard input with --password-stdin,
 * one password per line: the password first, then the new password when the
 * panel asks for a change.
 */
export class PasswordSource {
  readonly #io: CliIo;
  readonly #fromStdin: boolean;
  #lines: string[] | undefined;
  #nextLine = 0;

  constructor(io: CliIo, fromStdin: boolean) {
    this.#io = io;
    this.#fromStdin = fromStdin;
  }

  /** The current password. */
  current(prompt = 'Password: '): Promise<string> {
    return this.#read(prompt, 'the password');
  }

  /** A new password: typed twice on a terminal, or the next line of standard input. */
  async newPassword(): Promise<string> {
    const first = await this.#read('New password: ', 'the new password');
    if (this.#fromStdin) return first;
    const again = await this.#read('Repeat the new password: ', 'the new password');
    if (again !== first) throw new CliError('PASSWORD_INPUT', 'the two new passwords differ');
    return first;
  }

  async #read(prompt: string, what: string): Promise<string> {
    let value: string | undefined;
    if (this.#fromStdin) {
      this.#lines ??= (await this.#io.readStdin()).split(/\r?\n/);
      const line = this.#nextLine;
      this.#nextLine += 1;
      value = this.#lines[line];
      if (value === undefined || value === '')
        throw new CliError('PASSWORD_INPUT', `--password-stdin: line ${line + 1} must hold ${what}`);
      return value;
    }
    if (this.#io.promptSecret === undefined) {
      throw new CliError(
        'PASSWORD_INPUT',
        'standard input is not a terminal, so the password cannot be asked for; ' +
          'write it to standard input and pass --password-stdin',
      );
    }
    value = await this.#io.promptSecret(prompt);
    if (value === '') throw new CliError('PASSWORD_INPUT', `${what} is empty`);
    return value;
  }
}
