import { isatty } from 'node:tty';
import { promptHidden } from './terminal-prompt.ts';

/** What a command may touch of its process: injected so commands run in tests without spawning. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for --password-stdin). */
  readStdin(): Promise<string>;
  /**
   * Asks for a secret on the terminal without echoing it; absent when
   * standard input is not a terminal, so nothing ever blocks on a prompt
   * nobody can answer.
   */
  readonly promptSecret?: ((prompt: string) => Promise<string>) | undefined;
}

export const processIo: CliIo = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  promptSecret: isatty(0) ? (prompt) => promptHidden(prompt) : undefined,
};
