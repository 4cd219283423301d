import { CliError } from './cli-error.ts';

/**
 * Reads one line from the terminal without echoing it (raw mode: the
 * terminal shows nothing, not even asterisks, so the length does not leak to
 * someone looking over the shoulder). Enter ends the line, Ctrl-C aborts,
 * Backspace and Ctrl-U edit.
 */
export function promptHidden(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.setEncoding('utf8');
    let value = '';
    const finish = (error?: CliError) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        switch (char) {
          case '\r':
          case '\n':
          case '\u0004':
            finish();
            return;
          case '\u0003':
            finish(new CliError('PASSWORD_INPUT', 'interrupted'));
            return;
          case '\u007f':
          case '\b':
            value = [...value].slice(0, -1).join('');
            break;
          case '\u0015':
            value = '';
            break;
          default:
            value += char;
        }
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
