import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createSoftHsmToken, openTestDatabase, skipUnlessCommand } from '@palisade/testkit';
import { defaultPanelConfig } from '../config/index.ts';
import { issueLeafWithNewKey } from '../pki/index.ts';
import { startPanel } from './panel.ts';

const run = promisify(execFile);

describe('panel with its CA keys on a PKCS#11 token (SoftHSM2)', () => {
  it('creates the CA keys on the token, signs through it, and finds them again after a restart', {
    skip: skipUnlessCommand('softhsm2-util', ['--version']),
  }, async () => {
    await using token = await createSoftHsmToken({ label: 'palisade-ca', pin: '246810', soPin: '13579111' });
    await using database = await openTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'palisade-pkcs11-'));
    const config = defaultPanelConfig({
      dataDir,
      operatorPort: 0,
      devicePort: 0,
      httpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'silent',
      caKeyStore: token.uri,
    });
    const quiet = {
      announce: () => undefined,
      db: database.db,
      secrets: { bootstrapAdminPassword: 'Tr0ub4dor&3-horse-battery' },
    };
    try {
      const first = await startPanel({ config, ...quiet });
      assert.equal(first.services.ca.keyStore, 'pkcs11');
      assert.equal(first.facts.passphraseSource, 'pkcs11');
      const stored = await database.db.query<{
        name: string;
        encrypted_key_pem: string | null;
        key_ref: string | null;
      }>('SELECT name, encrypted_key_pem, key_ref FROM ca_material ORDER BY name');
      assert.deepEqual(stored.rows, [
        { name: 'issuing', encrypted_key_pem: null, key_ref: 'pkcs11:object=palisade-issuing-ca' },
        { name: 'root', encrypted_key_pem: null, key_ref: 'pkcs11:object=palisade-root-ca' },
      ]);
      const leaf = await issueLeafWithNewKey(first.services.ca.issuing, {
        commonName: 'signed-on-token',
        usage: 'client',
        validityDays: 1,
      });
      const fingerprint = first.facts.rootCaFingerprint;
      await first.close();
      await writeFile(join(dataDir, 'leaf.pem'), leaf.certificatePem);
      await writeFile(
        join(dataDir, 'chain.pem'),
        first.services.ca.root.certificatePem + first.services.ca.issuing.certificatePem,
      );
      const verified = await run('openssl', [
        'verify',
        '-x509_strict',
        '-CAfile',
        join(dataDir, 'chain.pem'),
        join(dataDir, 'leaf.pem'),
      ]);
      assert.match(verified.stdout, /leaf\.pem: OK/);
      const objects = await run('pkcs11-tool', [
        ...token.toolArgs,
        '--login',
        '--pin',
        '246810',
        '--list-objects',
        '--type',
        'privkey',
      ]);
      assert.match(objects.stdout, /palisade-root-ca/);
      assert.match(objects.stdout, /palisade-issuing-ca/);
      assert.match(objects.stdout, /never extractable/);

      const second = await startPanel({ config, ...quiet });
      assert.equal(second.facts.rootCaFingerprint, fingerprint);
      await issueLeafWithNewKey(second.services.ca.issuing, {
        commonName: 'after-restart',
        usage: 'client',
        validityDays: 1,
      });
      await second.close();

      const wrongStore = startPanel({
        config: { ...config, caKeyStore: 'file' },
        ...quiet,
        secrets: { ...quiet.secrets, keyPassphrase: 'a-file-store-passphrase' },
      });
      await assert.rejects(wrongStore, /is on a PKCS#11 token/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
