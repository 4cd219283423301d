import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliSandbox } from './cli-sandbox.ts';

const COMMANDS = [
  ['login'],
  ['logout'],
  ['operator'],
  ['operator', 'list'],
  ['operator', 'create'],
  ['operator', 'disable'],
  ['operator', 'enable'],
  ['operator', 'reset-password'],
  ['operator', 'token'],
  ['operator', 'token', 'list'],
  ['operator', 'token', 'create'],
  ['operator', 'token', 'revoke'],
  ['audit'],
  ['audit', 'list'],
  ['audit', 'verify'],
];

describe('runCli', () => {
  it('answers --help on every command with its usage and exit 0, touching nothing', async () => {
    await using cli = await cliSandbox();
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const result = await cli.run([...command, flag]);
        assert.equal(result.code, 0, `${command.join(' ')} ${flag}`);
        assert.match(result.out, new RegExp(`^Usage: palisade ${command[0]}`), command.join(' '));
        assert.equal(result.err, '');
      }
    }
  });

  it('refuses an unknown command or flag with exit 2', async () => {
    await using cli = await cliSandbox();
    const unknown = await cli.run(['operators']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^palisade: unknown command 'operators'/);
    const flag = await cli.run(['audit', 'verify', '--fix']);
    assert.equal(flag.code, 2);
    assert.match(flag.err, /Unknown option '--fix'.*\[USAGE\]\n$/);
    const positional = await cli.run(['operator', 'list', 'extra']);
    assert.equal(positional.code, 2);
    assert.match(positional.err, /\[USAGE\]\n$/);
  });
});
