import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { CliError } from './cli-error.ts';
import { promptHidden } from './terminal-prompt.ts';

/** A stand-in for a TTY: records raw-mode switches, and what was written to the screen. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), {
    isRaw: false,
    modes: [] as boolean[],
    setRawMode(mode: boolean) {
      this.isRaw = mode;
      this.modes.push(mode);
      return this;
    },
  });
  let screen = '';
  const output = {
    write(text: string) {
      screen += text;
      return true;
    },
  };
  return {
    input,
    prompt: (question: string) =>
      promptHidden(question, input as unknown as NodeJS.ReadStream, output as unknown as NodeJS.WriteStream),
    screen: () => screen,
  };
}

describe('promptHidden', () => {
  it('reads a line in raw mode without echoing it, handling backspace, then restores the terminal', async () => {
    const terminal = fakeTerminal();
    const answer = terminal.prompt('Password: ');
    terminal.input.write('hunter\u007f\u007fer2\r');
    // 'hunter' minus two characters, then 'er2'.
    assert.equal(await answer, 'hunter2');
    assert.equal(terminal.screen(), 'Password: \n');
    assert.deepEqual(terminal.input.modes, [true, false]);
  });

  it('aborts on Ctrl-C', async () => {
    const terminal = fakeTerminal();
    const answer = terminal.prompt('Password: ');
    terminal.input.write('abc\u0003');
    await assert.rejects(answer, (e: unknown) => e instanceof CliError && e.code === 'PASSWORD_INPUT');
    assert.deepEqual(terminal.input.modes, [true, false]);
  });
});
