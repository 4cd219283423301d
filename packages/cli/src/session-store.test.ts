import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliSandbox } from './cli-sandbox.ts';
import { loadSession, saveSession, sessionPath } from './session-store.ts';

const SESSION = {
  panel: 'https://127.0.0.1:1',
  username: 'admin',
  token: 'pls_sess_stored',
  caFile: null,
  expiresAt: '2020-01-01T00:00:00.000Z',
};

describe('session store', () => {
  it('uses $XDG_CONFIG_HOME when absolute, and ~/.config otherwise (XDG Base Directory)', () => {
    assert.equal(sessionPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/h' }), '/x/cfg/palisade/session.json');
    assert.equal(
      sessionPath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }),
      '/h/.config/palisade/session.json',
    );
    assert.equal(sessionPath({ HOME: '/h' }), '/h/.config/palisade/session.json');
  });

  it('refuses a session file that other users can read', async () => {
    await using cli = await cliSandbox();
    await saveSession(cli.env, SESSION);
    await chmod(cli.sessionFile, 0o644);
    await assert.rejects(loadSession(cli.env), { code: 'SESSION_FILE_INVALID' });
    const result = await cli.run(['operator', 'list']);
    assert.equal(result.code, 2);
    assert.match(result.err, /accessible by other users \(mode 644\).*\[SESSION_FILE_INVALID\]\n$/);
  });

  it('refuses a file that is not a session', async () => {
    await using cli = await cliSandbox();
    await mkdir(join(cli.home, 'config', 'palisade'), { recursive: true });
    await writeFile(cli.sessionFile, '{"panel": 1}', { mode: 0o600 });
    await assert.rejects(loadSession(cli.env), { code: 'SESSION_FILE_INVALID' });
  });

  it('says the session expired instead of sending a dead token', async () => {
    await using cli = await cliSandbox();
    await saveSession(cli.env, SESSION);
    const result = await cli.run(['audit', 'verify']);
    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      "palisade: the session on https://127.0.0.1:1 expired at 2020-01-01T00:00:00.000Z; run 'palisade login' again [NOT_LOGGED_IN]\n",
    );
  });

  it('refuses a malformed PALISADE_TOKEN without sending it anywhere', async () => {
    await using cli = await cliSandbox();
    const result = await cli.run(['operator', 'list'], {
      env: { PALISADE_PANEL: 'https://127.0.0.1:1', PALISADE_TOKEN: 'pls_tok_abc\n' },
    });
    assert.equal(result.code, 2);
    assert.match(result.err, /PALISADE_TOKEN is not a token.*\[USAGE\]\n$/);
  });
});
