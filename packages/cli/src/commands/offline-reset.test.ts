import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultPanelConfig, type RunningPanel, startPanel } from '@palisade/server';
import { openTestDatabase, postgresUrl, startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox, printedOneTimePassword } from '../cli-sandbox.ts';

const NEW_PASSWORD = 'Granite-Harbour-31';

describe('palisade operator reset-password --data-dir (offline)', () => {
  it('refuses while a panel holds the data directory, changing nothing', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const result = await cli.run([
      'operator',
      'reset-password',
      '--data-dir',
      t.dataDir,
      '--username',
      'admin',
    ]);
    assert.equal(result.code, 2);
    assert.equal(result.out, '');
    assert.match(
      result.err,
      new RegExp(
        `^palisade: data directory ${t.dataDir} is in use by process ${process.pid} .*\\[DATA_DIR_LOCKED\\]\\n$`,
      ),
    );
    assert.equal(
      await t.panel.services.audit
        .list({ limit: 1, action: 'operator.reset-password' })
        .then((e) => e.length),
      0,
    );
    await t.login('admin', TEST_ADMIN_PASSWORD);
  });

  it('refuses a data directory that does not exist or holds no database', async () => {
    await using cli = await cliSandbox();
    const missing = await cli.run([
      'operator',
      'reset-password',
      '--data-dir',
      join(cli.home, 'nope'),
      '--username',
      'admin',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /data directory .*nope does not exist \[DATA_DIR_INVALID\]\n$/);

    const empty = await cli.run([
      'operator',
      'reset-password',
      '--data-dir',
      cli.home,
      '--username',
      'admin',
    ]);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /no embedded database in .*pgdata; .*--database-url.*\[DATA_DIR_INVALID\]\n$/);
    // The lock is released whatever happened.
    await assert.rejects(stat(join(cli.home, 'panel.lock')), { code: 'ENOENT' });
  });

  it('resets the password of a stopped panel; the panel then forces a change of the one-time password', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'palisade-offline-'));
    // On PostgreSQL the panel uses a fresh database of its own; otherwise PGlite on disk in the data dir.
    await using database = postgresUrl() === undefined ? undefined : await openTestDatabase();
    await using cli = await cliSandbox();
    const config = defaultPanelConfig({
      dataDir,
      operatorPort: 0,
      devicePort: 0,
      httpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'silent',
      databaseUrl: database?.url,
    });
    const start = () =>
      startPanel({
        config,
        secrets: { keyPassphrase: 'test-passphrase-0123456789', bootstrapAdminPassword: TEST_ADMIN_PASSWORD },
        announce: () => undefined,
      });
    let panel: RunningPanel = await start();
    try {
      assert.equal(panel.facts.database, database === undefined ? 'pglite' : 'postgres');
      await panel.close();
      const argv = ['operator', 'reset-password', '--data-dir', dataDir, '--username', 'ADMIN'];
      if (database?.url !== undefined) argv.push('--database-url', database.url);
      const reset = await cli.run(argv);
      assert.equal(reset.code, 0, reset.err);
      const oneTime = printedOneTimePassword(reset.out);
      await assert.rejects(stat(join(dataDir, 'panel.lock')), { code: 'ENOENT' });

      panel = await start();
      const old = await cli.run(
        [
          'login',
          '--panel',
          panel.facts.operatorUrl,
          '--user',
          'admin',
          '--password-stdin',
          '--ca-file',
          panel.facts.rootCaPath,
        ],
        { stdin: `${TEST_ADMIN_PASSWORD}\n` },
      );
      assert.equal(old.code, 2);
      assert.match(old.err, /\[INVALID_CREDENTIALS\]\n$/);
      const login = await cli.login(panel.facts, 'admin', `${oneTime}\n${NEW_PASSWORD}\n`);
      assert.match(login.out, /^password changed\n/);
      const [entry] = await panel.services.audit.list({ limit: 1, action: 'operator.reset-password' });
      assert.deepEqual([entry?.actor, entry?.target, entry?.source], ['system', 'operator:admin', 'cli']);
    } finally {
      await panel.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
