import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Db, openPgliteDb, openPostgresDb } from '@palisade/server';
import { openTestDatabase, postgresUrl } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';

const ROOT_PASSPHRASE = 'offline-root-passphrase';

describe('palisade ca rotate-issuing', () => {
  it('with an offline root, needs the root key file and its passphrase, and says why without them', async () => {
    await using cli = await cliSandbox();
    await using database = postgresUrl() ? await openTestDatabase() : undefined;
    const dataDir = join(cli.home, 'panel');
    const rootKey = join(cli.home, 'root-ca.key');
    const env = {
      PALISADE_KEY_PASSPHRASE: 'panel-kek-0123456789',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    };
    const init = await cli.run(['ca', 'init', '--data-dir', dataDir, '--offline-root', rootKey], {
      env: { ...env, PALISADE_ROOT_KEY_PASSPHRASE: ROOT_PASSPHRASE },
    });
    assert.equal(init.code, 0, init.err);
    const rotate = (args: readonly string[], extra: Record<string, string> = {}) =>
      cli.run(['ca', 'rotate-issuing', '--data-dir', dataDir, ...args], { env: { ...env, ...extra } });

    const withoutKey = await rotate([]);
    assert.equal(withoutKey.code, 2);
    assert.match(withoutKey.err, /root CA is offline.*--root-key.*\[CA_ROOT_KEY_REQUIRED\]/);

    const withoutPassphrase = await rotate(['--root-key', rootKey]);
    assert.equal(withoutPassphrase.code, 2);
    assert.match(withoutPassphrase.err, /--root-key needs PALISADE_ROOT_KEY_PASSPHRASE/);

    const wrongPassphrase = await rotate(['--root-key', rootKey], {
      PALISADE_ROOT_KEY_PASSPHRASE: 'not-the-root-passphrase',
    });
    assert.equal(wrongPassphrase.code, 2);
    assert.match(wrongPassphrase.err, /\[CA_ROOT_KEY_UNREADABLE\]/);

    const otherKey = join(cli.home, 'other.key');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(
      otherKey,
      privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: ROOT_PASSPHRASE }),
    );
    const wrongKey = await rotate(['--root-key', otherKey], {
      PALISADE_ROOT_KEY_PASSPHRASE: ROOT_PASSPHRASE,
    });
    assert.equal(wrongKey.code, 2);
    assert.match(wrongKey.err, /not hold the key of this panel's root CA.*\[CA_ROOT_KEY_MISMATCH\]/);

    const rotated = await rotate(['--root-key', rootKey, '--validity-years', '3'], {
      PALISADE_ROOT_KEY_PASSPHRASE: ROOT_PASSPHRASE,
    });
    assert.equal(rotated.code, 0, rotated.err);
    const serial = /^ {2}serial {3}([0-9a-f]+)$/m.exec(rotated.out)?.[1];
    assert.ok(serial, rotated.out);
    assert.match(rotated.out, /^new issuing CA CN=Palisade Issuing CA 2, O=Palisade$/m);
    assert.match(rotated.out, /^ {2}SHA-256 {2}([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
    assert.match(rotated.out, /Restart every panel replica/);
    const notAfter = /valid until (\S+)/.exec(rotated.out)?.[1] ?? '';
    const years = (Date.parse(notAfter) - Date.now()) / (365 * 24 * 3600 * 1000);
    assert.ok(years > 2.99 && years < 3.01, notAfter);

    const db: Db = database?.url
      ? await openPostgresDb(database.url)
      : await openPgliteDb({ dataDir: join(dataDir, 'pgdata') });
    try {
      const audit = await db.query<{
        outcome: string;
        target: string;
        code: string | null;
        serial: string | null;
      }>(
        `SELECT outcome, target, details->>'code' AS code, details->>'serial' AS serial FROM audit_log
         WHERE action = 'ca.rotate-issuing' ORDER BY seq`,
      );
      assert.deepEqual(audit.rows, [
        { outcome: 'failure', target: 'ca:issuing', code: 'CA_ROOT_KEY_REQUIRED', serial: null },
        { outcome: 'failure', target: 'ca:issuing', code: 'CA_ROOT_KEY_UNREADABLE', serial: null },
        { outcome: 'failure', target: 'ca:issuing', code: 'CA_ROOT_KEY_MISMATCH', serial: null },
        { outcome: 'success', target: `ca:issuing-${serial}`, code: null, serial },
      ]);
      // The refused attempts changed nothing: one rotation, one retired issuing CA.
      const material = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM ca_material WHERE retired_at IS NOT NULL',
      );
      assert.equal(material.rows[0]?.n, 1);
    } finally {
      await db.close();
    }
  });

  it('rotates with an online root from the key store and prints the facts as JSON', async () => {
    await using cli = await cliSandbox();
    await using database = postgresUrl() ? await openTestDatabase() : undefined;
    const dataDir = join(cli.home, 'panel');
    const env = {
      PALISADE_KEY_PASSPHRASE: 'panel-kek-0123456789',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    };
    assert.equal((await cli.run(['ca', 'init', '--data-dir', dataDir], { env })).code, 0);
    const first = await cli.run(['ca', 'rotate-issuing', '--data-dir', dataDir, '--json'], { env });
    assert.equal(first.code, 0, first.err);
    const facts = JSON.parse(first.out) as { serial: string; subject: string; previous: { serial: string } };
    assert.equal(facts.subject, 'CN=Palisade Issuing CA 2, O=Palisade');
    const second = await cli.run(['ca', 'rotate-issuing', '--data-dir', dataDir, '--json'], { env });
    const again = JSON.parse(second.out) as { subject: string; previous: { serial: string } };
    assert.equal(again.subject, 'CN=Palisade Issuing CA 3, O=Palisade');
    assert.equal(again.previous.serial, facts.serial);
  });

  it('refuses a data directory without a CA, and a bad --validity-years', async () => {
    await using cli = await cliSandbox();
    const missing = await cli.run(['ca', 'rotate-issuing', '--data-dir', join(cli.home, 'nothing')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /\[CA_NOT_INITIALIZED\]/);
    const years = await cli.run(['ca', 'rotate-issuing', '--data-dir', cli.home, '--validity-years', '0']);
    assert.equal(years.code, 2);
    assert.match(years.err, /--validity-years must be a whole number from 1 to 20/);
  });
});
