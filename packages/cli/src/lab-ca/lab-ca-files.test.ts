import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from '../cli-error.ts';
import { readManufacturerCa, writeNewFiles } from './lab-ca-files.ts';
import { createManufacturerCa } from './manufacturer-ca.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-lab-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('writeNewFiles', () => {
  it('creates the directory 0700 and the key 0600', async (t) => {
    const dir = join(await tempDir(t), 'new', 'ca');
    await writeNewFiles(dir, [
      { name: 'a.pem', content: 'cert\n', mode: 0o644 },
      { name: 'a.key', content: 'key\n', mode: 0o600 },
    ]);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'a.key'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(dir, 'a.key'), 'utf8'), 'key\n');
  });

  it('writes nothing when any of the files exists', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'b.key'), 'old\n');
    await assert.rejects(
      writeNewFiles(dir, [
        { name: 'b.pem', content: 'cert\n', mode: 0o644 },
        { name: 'b.key', content: 'new\n', mode: 0o600 },
      ]),
      (error: unknown) => error instanceof CliError && error.code === 'FILE_EXISTS',
    );
    assert.deepEqual(await readdir(dir), ['b.key']);
    assert.equal(await readFile(join(dir, 'b.key'), 'utf8'), 'old\n');
  });
});

describe('readManufacturerCa', () => {
  it('loads a CA and its key, ready to sign', async (t) => {
    const dir = await tempDir(t);
    const ca = await createManufacturerCa('Acme Devices');
    await writeFile(join(dir, 'manufacturer-ca.pem'), ca.certificatePem);
    await writeFile(join(dir, 'manufacturer-ca.key'), ca.privateKeyPem);
    const loaded = await readManufacturerCa(dir);
    assert.equal(loaded.certificate.subject, ca.certificate.subject);
    assert.equal(loaded.hash, 'SHA-256');
    assert.equal(loaded.privateKey.extractable, false);
    assert.deepEqual(loaded.privateKey.usages, ['sign']);
  });

  it('refuses an Ed25519 key (and never prints key material)', async (t) => {
    const dir = await tempDir(t);
    const ca = await createManufacturerCa('Acme Devices');
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await writeFile(join(dir, 'manufacturer-ca.pem'), ca.certificatePem);
    await writeFile(join(dir, 'manufacturer-ca.key'), ed);
    await assert.rejects(readManufacturerCa(dir), (error: unknown) => {
      assert.ok(error instanceof CliError && error.code === 'LAB_CA_INVALID');
      assert.match(error.message, /is not an ECDSA P-256 or P-384 key$/);
      assert.ok(!error.message.includes(ed.split('\n')[1] as string));
      return true;
    });
  });
});
