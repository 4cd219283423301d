import assert from 'node:assert/strict';
import { chmod, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox, printedOneTimePassword } from '../cli-sandbox.ts';
import { saveSession } from '../session-store.ts';

const NEW_PASSWORD = 'Correct-Horse-Battery-9';

describe('palisade login', () => {
  it('stores the session 0600 in a 0700 directory, and later commands use it', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const { facts } = t.panel;
    const result = await cli.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    assert.match(result.out, new RegExp(`^logged in to ${facts.operatorUrl} as admin \\(role admin\\)`));

    assert.equal((await stat(cli.sessionFile)).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(cli.sessionFile))).mode & 0o777, 0o700);
    const session = JSON.parse(await readFile(cli.sessionFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(session).sort(), ['caFile', 'expiresAt', 'panel', 'token', 'username']);
    assert.equal(session.panel, facts.operatorUrl);
    assert.equal(session.username, 'admin');
    assert.equal(session.caFile, facts.rootCaPath);
    assert.match(String(session.token), /^pls_sess_/);
    assert.ok(Date.parse(String(session.expiresAt)) > Date.now());
    // Neither the token nor the password is ever printed.
    assert.ok(!`${result.out}${result.err}`.includes(String(session.token)));
    assert.ok(!`${result.out}${result.err}`.includes(TEST_ADMIN_PASSWORD));

    const list = await cli.run(['operator', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^USERNAME\s+ROLE\s+STATUS\s+CREATED\nadmin\s+admin\s+active\s+\S+\n$/);
  });

  it('forces the change of a one-time password, reading the new one from the second line', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using bob = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const created = await admin.run(['operator', 'create', '--username', 'bob', '--role', 'auditor']);
    assert.equal(created.code, 0, created.err);
    const oneTime = printedOneTimePassword(created.out);

    const login = await bob.login(facts, 'bob', `${oneTime}\n${NEW_PASSWORD}\n`);
    assert.match(login.out, /^password changed\nlogged in to .* as bob \(role auditor\)/);
    const list = await bob.run(['operator', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /\nbob\s+auditor\s+active\s/);

    const old = await bob.run(
      [
        'login',
        '--panel',
        facts.operatorUrl,
        '--user',
        'bob',
        '--password-stdin',
        '--ca-file',
        facts.rootCaPath,
      ],
      { stdin: `${oneTime}\n` },
    );
    assert.equal(old.code, 2);
    assert.equal(old.err, 'palisade: user name or password is wrong [INVALID_CREDENTIALS]\n');
    await bob.login(facts, 'bob', `${NEW_PASSWORD}\n`);
  });

  it('asks twice on a terminal for the new password and refuses two that differ, keeping no session', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using bob = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const oneTime = printedOneTimePassword(
      (await admin.run(['operator', 'create', '--username', 'bob', '--role', 'viewer'])).out,
    );
    const argv = ['login', '--panel', facts.operatorUrl, '--user', 'bob', '--ca-file', facts.rootCaPath];

    const mismatch = await bob.run(argv, { prompts: [oneTime, NEW_PASSWORD, `${NEW_PASSWORD}x`] });
    assert.equal(mismatch.code, 2);
    assert.match(mismatch.err, /palisade: the two new passwords differ \[PASSWORD_INPUT\]\n$/);
    await assert.rejects(stat(bob.sessionFile), { code: 'ENOENT' });

    const ok = await bob.run(argv, { prompts: [oneTime, NEW_PASSWORD, NEW_PASSWORD] });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.err, /Password: .*New password: Repeat the new password: /s);
    assert.match(ok.out, /^password changed\n/);
  });

  it('refuses a forced change without a second stdin line and keeps no session', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using bob = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const oneTime = printedOneTimePassword(
      (await admin.run(['operator', 'create', '--username', 'bob', '--role', 'viewer'])).out,
    );
    const result = await bob.run(
      [
        'login',
        '--panel',
        facts.operatorUrl,
        '--user',
        'bob',
        '--password-stdin',
        '--ca-file',
        facts.rootCaPath,
      ],
      { stdin: `${oneTime}\n` },
    );
    assert.equal(result.code, 2);
    assert.match(
      result.err,
      /palisade: --password-stdin: line 2 must hold the new password \[PASSWORD_INPUT\]\n$/,
    );
    await assert.rejects(stat(bob.sessionFile), { code: 'ENOENT' });
    // The half-open session was ended on the panel, not left to expire.
    const logouts = await t.panel.services.audit.list({
      limit: 5,
      actor: 'operator:bob',
      action: 'auth.logout',
    });
    assert.equal(logouts.length, 1);
  });

  it('answers a wrong password with exit 2 and the panel code, and stores nothing', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const { facts } = t.panel;
    const result = await cli.run(
      [
        'login',
        '--panel',
        facts.operatorUrl,
        '--user',
        'admin',
        '--password-stdin',
        '--ca-file',
        facts.rootCaPath,
      ],
      { stdin: 'not-the-password\n' },
    );
    assert.deepEqual(result, {
      code: 2,
      out: '',
      err: 'palisade: user name or password is wrong [INVALID_CREDENTIALS]\n',
    });
    await assert.rejects(stat(cli.sessionFile), { code: 'ENOENT' });
  });

  it('refuses to ask for a password when standard input is not a terminal, before contacting the panel', async () => {
    await using cli = await cliSandbox();
    // Port 1 is closed: reaching the network would fail differently (exit 1).
    const result = await cli.run(['login', '--panel', 'https://127.0.0.1:1', '--user', 'admin']);
    assert.equal(result.code, 2);
    assert.match(result.err, /standard input is not a terminal.*--password-stdin \[PASSWORD_INPUT\]\n$/);
  });

  it('refuses a panel whose certificate it cannot trust, with exit 1', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const result = await cli.run(
      ['login', '--panel', t.panel.facts.operatorUrl, '--user', 'admin', '--password-stdin'],
      { stdin: `${TEST_ADMIN_PASSWORD}\n` },
    );
    assert.equal(result.code, 1);
    assert.match(result.err, /^palisade: cannot trust the panel at .*--ca-file.* \[PANEL_UNTRUSTED\]\n$/);
    await assert.rejects(stat(cli.sessionFile), { code: 'ENOENT' });
  });

  it('exits 1 with a clear message when the panel cannot be reached', async () => {
    await using cli = await cliSandbox();
    const result = await cli.run(
      ['login', '--panel', 'https://127.0.0.1:1', '--user', 'admin', '--password-stdin'],
      {
        stdin: 'whatever-password\n',
      },
    );
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      /^palisade: cannot reach the panel at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.* \[PANEL_UNREACHABLE\]\n$/,
    );
  });

  it('refuses a plain-http panel URL, which would send the password in clear', async () => {
    await using cli = await cliSandbox();
    const result = await cli.run(
      ['login', '--panel', 'http://127.0.0.1:9443', '--user', 'admin', '--password-stdin'],
      {
        stdin: 'whatever-password\n',
      },
    );
    assert.equal(result.code, 2);
    assert.equal(result.err, 'palisade: panel URL must use https, not http: [USAGE]\n');
  });

  it('prints its help with --help and refuses unknown flags', async () => {
    await using cli = await cliSandbox();
    const help = await cli.run(['login', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: palisade login --panel URL --user NAME/);
    const unknown = await cli.run(['login', '--pasword-stdin']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Unknown option '--pasword-stdin'.*\[USAGE\]\n$/);
  });
});

describe('palisade logout', () => {
  it('ends the session on the panel and deletes the stored copy', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const { facts } = t.panel;
    await cli.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const { token } = JSON.parse(await readFile(cli.sessionFile, 'utf8')) as { token: string };

    const result = await cli.run(['logout']);
    assert.deepEqual(result, { code: 0, out: `logged out of ${facts.operatorUrl}\n`, err: '' });
    await assert.rejects(stat(cli.sessionFile), { code: 'ENOENT' });

    const reuse = await cli.run(['operator', 'list'], {
      env: { PALISADE_PANEL: facts.operatorUrl, PALISADE_TOKEN: token, PALISADE_CA_FILE: facts.rootCaPath },
    });
    assert.equal(reuse.code, 2);
    assert.match(reuse.err, /\[UNAUTHENTICATED\]\n$/);
    const again = await cli.run(['operator', 'list']);
    assert.equal(again.code, 2);
    assert.match(again.err, /not logged in.*\[NOT_LOGGED_IN\]\n$/);
  });
});

describe('palisade logout, when the panel cannot end the session', () => {
  it('still removes the local copy, says until when the session stays valid, and exits 1', async () => {
    await using cli = await cliSandbox();
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    await saveSession(cli.env, {
      panel: 'https://127.0.0.1:1',
      username: 'admin',
      token: 'pls_sess_x',
      caFile: null,
      expiresAt,
    });
    const result = await cli.run(['logout']);
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      new RegExp(
        `^palisade: removed the local session, but the panel did not end it; it stays valid until ${expiresAt}\\n.*\\[PANEL_UNREACHABLE\\]\\n$`,
      ),
    );
    await assert.rejects(stat(cli.sessionFile), { code: 'ENOENT' });
  });

  it('removes a session file it cannot use', async () => {
    await using cli = await cliSandbox();
    await saveSession(cli.env, {
      panel: 'https://127.0.0.1:1',
      username: 'admin',
      token: 'pls_sess_x',
      caFile: null,
      expiresAt: 'x',
    });
    await chmod(cli.sessionFile, 0o640);
    assert.deepEqual(await cli.run(['logout']), {
      code: 0,
      out: 'removed an invalid session file\n',
      err: '',
    });
    await assert.rejects(stat(cli.sessionFile), { code: 'ENOENT' });
  });
});

describe('stored session and automation environment', () => {
  it('never sends the stored token to a panel named by PALISADE_PANEL', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const result = await cli.run(['operator', 'list'], { env: { PALISADE_PANEL: 'https://127.0.0.1:1' } });
    assert.equal(result.code, 2);
    assert.match(result.err, /not logged in to https:\/\/127\.0\.0\.1:1.*\[NOT_LOGGED_IN\]\n$/);
  });
});
