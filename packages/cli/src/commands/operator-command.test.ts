import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox, printedOneTimePassword } from '../cli-sandbox.ts';

const CAROL_PASSWORD = 'Orchid-Lantern-42';

describe('palisade operator', () => {
  it('creates, lists, disables and enables an operator', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using carol = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);

    const created = await admin.run(
      ['operator', 'create', '--username', 'carol', '--role', 'operator', '--password-stdin'],
      { stdin: `${CAROL_PASSWORD}\n` },
    );
    assert.deepEqual(created, { code: 0, out: 'created operator carol (role operator)\n', err: '' });

    const listed = await admin.run(['operator', 'list', '--json']);
    assert.equal(listed.code, 0, listed.err);
    const { operators } = JSON.parse(listed.out) as {
      operators: Array<{ username: string; role: string; disabled: boolean; mustChangePassword: boolean }>;
    };
    assert.deepEqual(
      operators.map((o) => [o.username, o.role, o.disabled, o.mustChangePassword]),
      [
        ['admin', 'admin', false, false],
        ['carol', 'operator', false, false],
      ],
    );

    const disabled = await admin.run(['operator', 'disable', '--username', 'carol']);
    assert.deepEqual(disabled, { code: 0, out: 'disabled operator carol\n', err: '' });
    assert.match((await admin.run(['operator', 'list'])).out, /\ncarol\s+operator\s+disabled\s/);
    const refused = await carol.run(
      [
        'login',
        '--panel',
        facts.operatorUrl,
        '--user',
        'carol',
        '--password-stdin',
        '--ca-file',
        facts.rootCaPath,
      ],
      { stdin: `${CAROL_PASSWORD}\n` },
    );
    assert.equal(refused.code, 2);
    assert.match(refused.err, /\[INVALID_CREDENTIALS\]\n$/);

    const enabled = await admin.run(['operator', 'enable', '--username', 'carol']);
    assert.deepEqual(enabled, { code: 0, out: 'enabled operator carol\n', err: '' });
    assert.match((await admin.run(['operator', 'list'])).out, /\ncarol\s+operator\s+active\s/);
    await carol.login(facts, 'carol', `${CAROL_PASSWORD}\n`);
  });

  it('prints a generated one-time password once, and the operator must change it', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const created = await admin.run(['operator', 'create', '--username', 'dave', '--role', 'viewer']);
    assert.equal(created.code, 0, created.err);
    const oneTime = printedOneTimePassword(created.out);
    assert.match(oneTime, /^[A-Za-z2-9]{20}$/);
    assert.match((await admin.run(['operator', 'list'])).out, /\ndave\s+viewer\s+must change password\s/);
    // Shown once: nothing the panel answers later contains it.
    assert.ok(!(await admin.run(['operator', 'list', '--json'])).out.includes(oneTime));
  });

  it('resets a password online: the old one stops working, the printed one-time password forces a change', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using carol = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    await admin.run(['operator', 'create', '--username', 'carol', '--role', 'auditor', '--password-stdin'], {
      stdin: `${CAROL_PASSWORD}\n`,
    });
    await carol.login(facts, 'carol', `${CAROL_PASSWORD}\n`);

    const reset = await admin.run(['operator', 'reset-password', '--username', 'carol']);
    assert.equal(reset.code, 0, reset.err);
    assert.match(reset.out, /^one-time password for carol: [A-Za-z2-9]{20}\n/);
    const oneTime = printedOneTimePassword(reset.out);

    // Her sessions ended with the reset.
    const stale = await carol.run(['operator', 'list']);
    assert.equal(stale.code, 2);
    assert.match(stale.err, /\[UNAUTHENTICATED\]\n$/);
    const login = await carol.login(facts, 'carol', `${oneTime}\nSaffron-Meadow-77\n`);
    assert.match(login.out, /^password changed\n/);
  });

  it('passes the panel refusals through with their codes and exit 2', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using viewer = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);

    const duplicate = await admin.run(['operator', 'create', '--username', 'admin', '--role', 'viewer']);
    assert.deepEqual(duplicate, {
      code: 2,
      out: '',
      err: 'palisade: operator admin already exists [OPERATOR_EXISTS]\n',
    });
    const lastAdmin = await admin.run(['operator', 'disable', '--username', 'admin']);
    assert.equal(lastAdmin.code, 2);
    assert.equal(lastAdmin.err, 'palisade: the last enabled admin cannot be disabled [LAST_ADMIN]\n');
    const missing = await admin.run(['operator', 'enable', '--username', 'nobody']);
    assert.equal(missing.err, 'palisade: no operator named nobody [OPERATOR_NOT_FOUND]\n');

    await admin.run(['operator', 'create', '--username', 'vera', '--role', 'viewer', '--password-stdin'], {
      stdin: `${CAROL_PASSWORD}\n`,
    });
    await viewer.login(facts, 'vera', `${CAROL_PASSWORD}\n`);
    const forbidden = await viewer.run(['operator', 'create', '--username', 'eve', '--role', 'admin']);
    assert.equal(forbidden.code, 2);
    assert.equal(forbidden.err, 'palisade: role viewer lacks permission operators:manage [FORBIDDEN]\n');
    assert.doesNotMatch((await admin.run(['operator', 'list'])).out, /\neve\s/);
  });

  it('refuses bad arguments before contacting any panel', async () => {
    await using cli = await cliSandbox();
    const role = await cli.run(['operator', 'create', '--username', 'x', '--role', 'root']);
    assert.deepEqual(role, {
      code: 2,
      out: '',
      err: "palisade: --role must be one of viewer, auditor, operator, admin (see 'palisade operator --help') [USAGE]\n",
    });
    const missing = await cli.run(['operator', 'disable']);
    assert.match(missing.err, /--username is required.*\[USAGE\]\n$/);
    const unknown = await cli.run(['operator', 'promote', '--username', 'x']);
    assert.match(unknown.err, /unknown command 'operator promote'.*\[USAGE\]\n$/);
    const notLoggedIn = await cli.run(['operator', 'list']);
    assert.equal(notLoggedIn.code, 2);
    assert.match(notLoggedIn.err, /\[NOT_LOGGED_IN\]\n$/);
    for (const argv of [
      ['operator', '--help'],
      ['operator', 'create', '--help'],
      ['operator', 'token', '--help'],
    ]) {
      const help = await cli.run(argv);
      assert.equal(help.code, 0, argv.join(' '));
      assert.match(help.out, /^Usage: palisade operator /);
    }
  });
});
