import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { skipUnlessCommand } from '@palisade/testkit';
import { buildCsr } from '../identity/csr.ts';
import type { IdentityKey, RootOfTrust } from './root-of-trust.ts';
import { RootOfTrustError, type RootOfTrustErrorCode } from './root-of-trust-error.ts';
import { openSoftwareRoot } from './software-root.ts';
import { issueClientCertificate, mutualTlsHandshake } from './tpm-test-support.ts';

const run = promisify(execFile);
const skip = skipUnlessCommand('openssl', ['version']);
const data = new TextEncoder().encode('palisade software identity');

const rejectsWith = (promise: Promise<unknown>, code: RootOfTrustErrorCode, message?: RegExp) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RootOfTrustError, String(error));
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

const nodeVerifies = (key: IdentityKey, signature: Uint8Array) =>
  verify(
    'sha256',
    data,
    { key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki', dsaEncoding: 'der' },
    signature,
  );

/** `openssl pkey` on a key file: the SPKI (DER) it derives, or the rejection. */
async function opensslPublicKey(file: string, passin: string): Promise<Buffer> {
  const { stdout } = await run(
    'openssl',
    ['pkey', '-in', file, '-passin', passin, '-pubout', '-outform', 'DER'],
    { encoding: 'buffer', timeout: 30_000 },
  );
  return stdout;
}

async function opensslVerifies(dir: string, key: IdentityKey, signature: Uint8Array): Promise<void> {
  const pem = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
  await writeFile(join(dir, 'pub.pem'), pem.export({ format: 'pem', type: 'spki' }));
  await writeFile(join(dir, 'data'), data);
  await writeFile(join(dir, 'sig'), signature);
  const { stdout } = await run('openssl', [
    'dgst',
    '-sha256',
    '-verify',
    join(dir, 'pub.pem'),
    '-signature',
    join(dir, 'sig'),
    join(dir, 'data'),
  ]);
  assert.match(stdout, /Verified OK/);
}

describe('openSoftwareRoot', { skip }, () => {
  let work: string;
  let keyDir: string;
  let root: RootOfTrust;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-software-root-'));
    keyDir = join(work, 'state', 'keys');
    root = await openSoftwareRoot({ keyDir });
  });
  after(async () => {
    await root?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('is a software root of trust, never hardware-backed', async () => {
    assert.equal(root.kind, 'software');
    assert.equal(root.hardwareBacked, false);
    assert.deepEqual(await root.facts(), { kind: 'software', hardwareBacked: false });
  });

  it('creates the key directory 0700 and a random passphrase file 0600 in it', async () => {
    assert.equal(await modeOf(keyDir), 0o700);
    const passphraseFile = join(keyDir, 'passphrase');
    assert.equal(await modeOf(passphraseFile), 0o600);
    assert.match(await readFile(passphraseFile, 'utf8'), /^[A-Za-z0-9_-]{43}$/);
  });

  describe('#createKey', () => {
    it('writes <label>.pem 0600 as encrypted PKCS#8 that only the passphrase opens', async () => {
      const key = await root.createKey('identity-a');
      const file = join(keyDir, 'identity-a.pem');
      assert.equal(await modeOf(file), 0o600);
      const pem = await readFile(file, 'utf8');
      assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      assert.doesNotMatch(pem, /BEGIN (EC )?PRIVATE KEY/);
      // PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, as the module documents.
      const { stdout: asn1 } = await run('openssl', ['asn1parse', '-in', file]);
      assert.match(asn1, /:PBES2/);
      assert.match(asn1, /:PBKDF2/);
      assert.match(asn1, /:hmacWithSHA256/);
      assert.match(asn1, /:aes-256-cbc/);

      const passphraseFile = join(keyDir, 'passphrase');
      const spki = await opensslPublicKey(file, `file:${passphraseFile}`);
      assert.deepEqual(new Uint8Array(spki), key.publicKeySpki);
      await assert.rejects(opensslPublicKey(file, 'pass:'), /bad decrypt|unable to load|Could not read/i);
      await assert.rejects(
        opensslPublicKey(file, 'pass:not-the-passphrase-at-all'),
        /bad decrypt|unable to load|Could not read/i,
      );
      // The atomic write leaves no temporary file behind.
      assert.deepEqual((await readdir(keyDir)).sort(), ['identity-a.pem', 'passphrase']);
    });

    it('makes a P-256 key whose DER ECDSA-SHA256 signatures node:crypto and openssl verify', async () => {
      const key = await root.createKey('identity-sign');
      assert.equal(key.label, 'identity-sign');
      assert.equal(key.algorithm, 'ECDSA-P256-SHA256');
      const publicKey = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
      assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const signature = await key.sign(data);
      assert.equal(signature[0], 0x30, 'DER SEQUENCE, not IEEE P1363 r||s');
      assert.equal(nodeVerifies(key, signature), true);
      await opensslVerifies(work, key, signature);
    });

    it('replaces the key under an existing label', async () => {
      const old = await root.createKey('identity-b');
      const replacement = await root.createKey('identity-b');
      assert.notDeepEqual(replacement.publicKeySpki, old.publicKeySpki);
      assert.deepEqual((await root.loadKey('identity-b'))?.publicKeySpki, replacement.publicKeySpki);
      await using reopened = await openSoftwareRoot({ keyDir });
      assert.deepEqual((await reopened.loadKey('identity-b'))?.publicKeySpki, replacement.publicKeySpki);
      const spki = await opensslPublicKey(
        join(keyDir, 'identity-b.pem'),
        `file:${join(keyDir, 'passphrase')}`,
      );
      assert.deepEqual(new Uint8Array(spki), replacement.publicKeySpki);
    });

    it('rejects labels that are not plain names, writing nothing', async () => {
      const before = (await readdir(keyDir)).sort();
      for (const label of ['../escape', '', '.hidden', 'a/b', 'x'.repeat(65), 'spaced label']) {
        await rejectsWith(root.createKey(label), 'ROT_CONFIG_INVALID', /not a valid key label/);
        await rejectsWith(root.loadKey(label), 'ROT_CONFIG_INVALID');
        await rejectsWith(root.deleteKey(label), 'ROT_CONFIG_INVALID');
      }
      assert.deepEqual((await readdir(keyDir)).sort(), before);
      assert.deepEqual(await readdir(join(work, 'state')), ['keys']);
    });
  });

  describe('#loadKey', () => {
    it('after reopening, returns the same key, still signing verifiably', async () => {
      const created = await root.createKey('identity-c');
      await using reopened = await openSoftwareRoot({ keyDir });
      const loaded = await reopened.loadKey('identity-c');
      assert.ok(loaded);
      assert.equal(loaded.label, 'identity-c');
      assert.deepEqual(loaded.publicKeySpki, created.publicKeySpki);
      const signature = await loaded.sign(data);
      assert.equal(nodeVerifies(created, signature), true);
      await opensslVerifies(work, created, signature);
    });

    it('returns undefined for a label with no key file', async () => {
      assert.equal(await root.loadKey('never-created'), undefined);
    });

    it('reports garbage and a truncated key file as ROT_KEY_CORRUPT and leaves the file alone', async () => {
      const good = await readFile(join(keyDir, 'identity-a.pem'), 'utf8');
      const cases = {
        garbage: 'this is not a key\n',
        truncated: good.slice(0, Math.floor(good.length / 2)),
        empty: '',
      };
      for (const [label, content] of Object.entries(cases)) {
        const file = join(keyDir, `${label}.pem`);
        await writeFile(file, content, { mode: 0o600 });
        const before = await stat(file);
        await using reopened = await openSoftwareRoot({ keyDir });
        await rejectsWith(reopened.loadKey(label), 'ROT_KEY_CORRUPT', /not an encrypted PKCS#8 key/);
        assert.equal(await readFile(file, 'utf8'), content, `${label}: content changed`);
        assert.equal((await stat(file)).mtimeMs, before.mtimeMs, `${label}: file rewritten`);
      }
    });

    it('reports a key this passphrase does not open as ROT_KEY_CORRUPT', async () => {
      const otherDir = join(work, 'other-keys');
      await using other = await openSoftwareRoot({ keyDir: otherDir });
      await other.createKey('foreign');
      await writeFile(join(keyDir, 'foreign.pem'), await readFile(join(otherDir, 'foreign.pem')));
      await rejectsWith(root.loadKey('foreign'), 'ROT_KEY_CORRUPT', /passphrase/);
    });

    it('refuses a key that is not ECDSA P-256 (RSA, P-384) under the same passphrase as ROT_KEY_CORRUPT', async () => {
      const passphrase = await readFile(join(keyDir, 'passphrase'), 'utf8');
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
      for (const [label, key] of [
        ['rsa', rsa],
        ['p384', p384],
      ] as const) {
        const pem = key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase });
        await writeFile(join(keyDir, `${label}.pem`), pem, { mode: 0o600 });
        await rejectsWith(root.loadKey(label), 'ROT_KEY_CORRUPT', /does not hold an ECDSA P-256 key/);
        assert.equal(await readFile(join(keyDir, `${label}.pem`), 'utf8'), String(pem));
      }
    });
  });

  describe('#deleteKey', () => {
    it('removes the key file; loading finds nothing, in this root and a reopened one; deleting again is fine', async () => {
      await root.createKey('doomed');
      await root.deleteKey('doomed');
      await assert.rejects(stat(join(keyDir, 'doomed.pem')), { code: 'ENOENT' });
      assert.equal(await root.loadKey('doomed'), undefined);
      await using reopened = await openSoftwareRoot({ keyDir });
      assert.equal(await reopened.loadKey('doomed'), undefined);
      await root.deleteKey('doomed');
      await root.deleteKey('never-created');
    });
  });

  describe('#tlsClientKey', () => {
    it('authenticates a Node TLS client (twice) with a certificate from a CSR the key signed', async () => {
      const key = await root.createKey('tls-identity');
      const csr = await buildCsr(key, { commonName: 'software-device' });
      const pki = await issueClientCertificate(csr);
      try {
        // A reopened root hands TLS the encrypted PEM and its passphrase, as the agent does after a restart.
        await using reopened = await openSoftwareRoot({ keyDir });
        const loaded = await reopened.loadKey('tls-identity');
        assert.ok(loaded);
        for (const candidate of [key, loaded]) {
          const tlsKey = candidate.tlsClientKey();
          assert.equal(tlsKey.kind, 'node-options');
          if (tlsKey.kind !== 'node-options') return;
          for (let connection = 0; connection < 2; connection += 1) {
            const seen = await mutualTlsHandshake(pki, tlsKey.options);
            assert.equal(seen.serverAuthorized, true, seen.authorizationError);
            assert.deepEqual(new Uint8Array(seen.clientPublicKeySpki), key.publicKeySpki);
            assert.deepEqual(seen.clientBinding, seen.serverBinding);
          }
        }
      } finally {
        await pki.dispose();
      }
    });
  });
});

describe('openSoftwareRoot with a configured passphrase file', { skip }, () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-software-root-'));
  });
  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('encrypts keys with that passphrase and generates none of its own', async () => {
    const keyDir = join(work, 'configured');
    const passphraseFile = join(work, 'configured-passphrase');
    await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
    await using root = await openSoftwareRoot({ keyDir, passphraseFile });
    const key = await root.createKey('identity');
    // The file's trailing newline is not part of the passphrase.
    const spki = await opensslPublicKey(join(keyDir, 'identity.pem'), 'pass:correct horse battery staple');
    assert.deepEqual(new Uint8Array(spki), key.publicKeySpki);
    assert.deepEqual(await readdir(keyDir), ['identity.pem']);
  });

  it('refuses a passphrase shorter than 16 characters as ROT_CONFIG_INVALID, without echoing it', async () => {
    const keyDir = join(work, 'short');
    const passphraseFile = join(work, 'short-passphrase');
    await writeFile(passphraseFile, 'tooShort-15char\n');
    const error = await openSoftwareRoot({ keyDir, passphraseFile }).then(
      () => assert.fail('opened with a short passphrase'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof RootOfTrustError);
    assert.equal(error.code, 'ROT_CONFIG_INVALID');
    assert.match(error.message, /shorter than 16 characters/);
    assert.doesNotMatch(error.message, /tooShort/);
  });

  it('refuses a configured passphrase file that does not exist as ROT_UNAVAILABLE, creating none', async () => {
    const keyDir = join(work, 'missing');
    const passphraseFile = join(work, 'no-such-passphrase');
    await rejectsWith(openSoftwareRoot({ keyDir, passphraseFile }), 'ROT_UNAVAILABLE', /no-such-passphrase/);
    await assert.rejects(stat(passphraseFile), { code: 'ENOENT' });
    assert.deepEqual(await readdir(keyDir), []);
  });

  it('reuses the generated passphrase of an existing key directory', async () => {
    const keyDir = join(work, 'generated');
    await mkdir(keyDir, { mode: 0o700 });
    const first = await openSoftwareRoot({ keyDir });
    const passphrase = await readFile(join(keyDir, 'passphrase'), 'utf8');
    const key = await first.createKey('identity');
    await first.close();
    await using second = await openSoftwareRoot({ keyDir });
    assert.equal(await readFile(join(keyDir, 'passphrase'), 'utf8'), passphrase);
    assert.deepEqual((await second.loadKey('identity'))?.publicKeySpki, key.publicKeySpki);
  });
});
