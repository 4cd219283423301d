import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openTestDatabase, postgresUrl, skipUnlessCommand } from '@palisade/testkit';
import { defaultPanelConfig } from '../config/index.ts';
import { issueDeviceCertificate, PkiError, x509 } from '../pki/index.ts';
import { initializeCa } from './ca-init.ts';
import { startPanel } from './panel.ts';

const run = promisify(execFile);

describe('initializeCa (palisade ca init)', () => {
  it('keeps the root key out of the panel with --offline-root, and the panel runs without it', {
    skip: skipUnlessCommand('openssl', ['version']),
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-ca-init-'));
    // The ceremony opens the database itself, as the CLI does: PGlite on disk, or a fresh PostgreSQL database.
    await using database = postgresUrl() ? await openTestDatabase() : undefined;
    const databaseUrl = database?.url;
    const dataDir = join(dir, 'data');
    const rootKeyPath = join(dir, 'root-ca.key');
    try {
      const result = await initializeCa({
        dataDir,
        databaseUrl,
        caKeyStore: 'file',
        organization: 'Plant One',
        keyPassphrase: 'panel-kek-0123456789',
        offlineRoot: { path: rootKeyPath, passphrase: 'offline-root-passphrase' },
      });
      assert.equal((await stat(rootKeyPath)).mode & 0o777, 0o600);
      const opened = await run('openssl', [
        'pkey',
        '-in',
        rootKeyPath,
        '-passin',
        'pass:offline-root-passphrase',
        '-noout',
        '-text',
      ]);
      assert.match(opened.stdout, /NIST CURVE: P-256/);

      await assert.rejects(
        initializeCa({
          dataDir,
          databaseUrl,
          caKeyStore: 'file',
          organization: 'x',
          keyPassphrase: 'panel-kek-0123456789',
        }),
        (error: unknown) => error instanceof PkiError && error.code === 'CA_ALREADY_INITIALIZED',
      );

      const panel = await startPanel({
        config: defaultPanelConfig({
          dataDir,
          databaseUrl,
          operatorPort: 0,
          devicePort: 0,
          httpPort: 0,
          bind: '127.0.0.1',
          logLevel: 'silent',
        }),
        secrets: {
          keyPassphrase: 'panel-kek-0123456789',
          bootstrapAdminPassword: 'Tr0ub4dor&3-horse-battery',
        },
        announce: () => undefined,
      });
      try {
        assert.equal(panel.facts.rootCaFingerprint, result.rootFingerprint);
        assert.equal('privateKey' in panel.services.ca.root, false, 'the panel holds no root key');
        const roots = await panel.services.db.query<{
          encrypted_key_pem: string | null;
          key_ref: string | null;
        }>("SELECT encrypted_key_pem, key_ref FROM ca_material WHERE name = 'root'");
        assert.deepEqual(roots.rows[0], { encrypted_key_pem: null, key_ref: 'offline' });
        const { publicKey } = (await webcrypto.subtle.generateKey(
          { name: 'ECDSA', namedCurve: 'P-256' },
          true,
          ['sign', 'verify'],
        )) as webcrypto.CryptoKeyPair;
        const issued = await issueDeviceCertificate(
          panel.services.ca.issuing,
          { deviceId: 'still-issuing', publicKey: await x509.PublicKey.create(publicKey), validityDays: 1 },
          { ocspUrl: 'http://x/ocsp', crlUrl: 'http://x/crl', caIssuersUrl: 'http://x/ca' },
          new Date(),
        );
        assert.equal(issued.certificate.subject, 'CN=still-issuing');
      } finally {
        await panel.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
