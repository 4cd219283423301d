import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createSoftHsmToken, openTestDatabase, postgresUrl, skipUnlessCommand } from '@palisade/testkit';
import { defaultPanelConfig } from '../config/index.ts';
import { issueLeafWithNewKey, normalizeSerial } from '../pki/index.ts';
import { rotateIssuingCaOffline } from './ca-rotate.ts';
import { startPanel } from './panel.ts';

const run = promisify(execFile);

describe('rotateIssuingCaOffline with the CA keys on a PKCS#11 token (SoftHSM2)', () => {
  it('makes the new issuing key on the token under a label of its own; the panel signs with both after a restart', {
    skip: skipUnlessCommand('softhsm2-util', ['--version']) || skipUnlessCommand('openssl', ['version']),
  }, async () => {
    await using token = await createSoftHsmToken({ label: 'palisade-rot', pin: '246810', soPin: '13579111' });
    await using database = postgresUrl() ? await openTestDatabase() : undefined;
    const dir = await mkdtemp(join(tmpdir(), 'palisade-rotate-pkcs11-'));
    const dataDir = join(dir, 'data');
    const config = defaultPanelConfig({
      dataDir,
      databaseUrl: database?.url,
      operatorPort: 0,
      devicePort: 0,
      httpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'silent',
      caKeyStore: token.uri,
    });
    const quiet = {
      announce: () => undefined,
      secrets: { bootstrapAdminPassword: 'Tr0ub4dor&3-horse-battery' },
    };
    try {
      const first = await startPanel({ config, ...quiet });
      const previous = first.services.ca.issuing.certificatePem;
      await first.close();

      const rotated = await rotateIssuingCaOffline({
        dataDir,
        databaseUrl: database?.url,
        caKeyStore: token.uri,
      });

      const second = await startPanel({ config, ...quiet });
      try {
        const { ca } = second.services;
        assert.equal(normalizeSerial(ca.issuing.certificate.serialNumber), rotated.serial);
        assert.deepEqual(
          ca.issuers.map((issuer) => issuer.certificatePem),
          [rotated.certificatePem, previous],
        );
        const keyRefs = await second.services.db.query<{ name: string; key_ref: string }>(
          "SELECT name, key_ref FROM ca_material WHERE name LIKE 'issuing%' ORDER BY retired_at NULLS FIRST",
        );
        assert.match(
          keyRefs.rows[0]?.key_ref ?? '',
          /^pkcs11:object=palisade-issuing-\d{8}T\d{6}Z-[0-9a-f]{6}-ca$/,
        );
        assert.equal(keyRefs.rows[1]?.key_ref, 'pkcs11:object=palisade-issuing-ca');

        // Both issuing keys still sign on the token: certificates from either chain to the root.
        for (const [name, issuer] of ca.issuers.map((issuer, i) => [`leaf-${i}`, issuer] as const)) {
          const leaf = await issueLeafWithNewKey(issuer, {
            commonName: name,
            usage: 'client',
            validityDays: 1,
          });
          await writeFile(join(dir, `${name}.pem`), leaf.certificatePem);
          await writeFile(join(dir, `${name}-chain.pem`), ca.root.certificatePem + issuer.certificatePem);
          const verified = await run('openssl', [
            'verify',
            '-x509_strict',
            '-CAfile',
            join(dir, `${name}-chain.pem`),
            join(dir, `${name}.pem`),
          ]);
          assert.match(verified.stdout, /: OK/);
        }
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
