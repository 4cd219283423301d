import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openTestDatabase, postgresUrl } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';

describe('palisade ca init', () => {
  it('creates the hierarchy with the root key written offline, once, and refuses a second ceremony', async () => {
    await using cli = await cliSandbox();
    await using database = postgresUrl() ? await openTestDatabase() : undefined;
    const dataDir = join(cli.home, 'panel');
    const rootKey = join(cli.home, 'root-ca.key');
    const env = {
      PALISADE_KEY_PASSPHRASE: 'panel-kek-0123456789',
      PALISADE_ROOT_KEY_PASSPHRASE: 'offline-root-passphrase',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    };
    const first = await cli.run(['ca', 'init', '--data-dir', dataDir, '--offline-root', rootKey], { env });
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /root CA SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(first.out, /move it to offline storage/);
    assert.equal((await stat(rootKey)).mode & 0o777, 0o600);

    const again = await cli.run(['ca', 'init', '--data-dir', dataDir], { env });
    assert.equal(again.code, 2);
    assert.match(again.err, /already has a CA hierarchy.*\[CA_ALREADY_INITIALIZED\]/);
  });

  it('needs the root key passphrase from the environment for --offline-root', async () => {
    await using cli = await cliSandbox();
    const result = await cli.run([
      'ca',
      'init',
      '--data-dir',
      join(cli.home, 'p'),
      '--offline-root',
      join(cli.home, 'k'),
    ]);
    assert.equal(result.code, 2);
    assert.match(result.err, /PALISADE_ROOT_KEY_PASSPHRASE/);
  });
});
