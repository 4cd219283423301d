import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createSoftHsmToken, type SoftHsmToken, STRICT, skipUnlessCommand } from '@palisade/testkit';
import { buildCsr } from '../identity/csr.ts';
import { DEBIAN_OPENSSL_ENGINES_DIR } from './openssl-engine.ts';
import { openPkcs11Root } from './pkcs11-root.ts';
import type { IdentityKey, RootOfTrust } from './root-of-trust.ts';
import { RootOfTrustError, type RootOfTrustErrorCode } from './root-of-trust-error.ts';
import { issueClientCertificate, mutualTlsHandshake } from './tpm-test-support.ts';

// This file runs in its own process: the libp11 engine's environment is claimed once per process.
const run = promisify(execFile);
const PIN = '2468-palisade';
const WRONG_PIN = 'Wr0ngPin-1357';
const ENGINE = join(DEBIAN_OPENSSL_ENGINES_DIR, 'pkcs11.so');
const skip =
  skipUnlessCommand('softhsm2-util', ['--version']) ||
  skipUnlessCommand('pkcs11-tool', ['--help']) ||
  skipUnlessCommand('openssl', ['version']) ||
  (existsSync(ENGINE) || STRICT ? false : `${ENGINE} is missing (apt-get install libengine-pkcs11-openssl)`);
const data = new TextEncoder().encode('palisade token identity');

async function rejectsWith(
  promise: Promise<unknown>,
  code: RootOfTrustErrorCode,
  message?: RegExp,
): Promise<RootOfTrustError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof RootOfTrustError, `expected RootOfTrustError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message !== undefined) assert.match(error.message, message);
  return error;
}

const nodeVerifies = (key: IdentityKey, signature: Uint8Array) =>
  verify(
    'sha256',
    data,
    { key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki', dsaEncoding: 'der' },
    signature,
  );

describe('openPkcs11Root (SoftHSM2)', { skip }, () => {
  let token: SoftHsmToken;
  let work: string;

  /** The token's URI with query attributes replaced (undefined: removed). */
  function uriWith(query: Record<string, string | undefined>, path = `token=${token.label}`): string {
    const params = new Map<string, string>([
      ['module-path', token.modulePath],
      ['pin-value', PIN],
    ]);
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) params.delete(name);
      else params.set(name, value);
    }
    return `pkcs11:${path}?${[...params].map(([name, value]) => `${name}=${value}`).join('&')}`;
  }

  /** pkcs11-tool, an independent PKCS#11 client, logged in to the test token. */
  async function pkcs11Tool(...args: string[]): Promise<string> {
    const { stdout } = await run('pkcs11-tool', [...token.toolArgs, '--login', '--pin', PIN, ...args], {
      timeout: 30_000,
    });
    return stdout;
  }

  /** pkcs11-tool's listing of the objects of one class labelled `label`, one block per object. */
  async function objectsLabelled(type: 'privkey' | 'pubkey', label: string): Promise<string[]> {
    const listing = await pkcs11Tool('--list-objects', '--type', type);
    return listing
      .split(/\n(?=\S)/)
      .filter((block) => new RegExp(`^\\s*label:\\s*${label}\\s*$`, 'm').test(block));
  }

  before(async () => {
    token = await createSoftHsmToken({ label: 'palisade-agent', pin: PIN });
    work = await mkdtemp(join(tmpdir(), 'palisade-pkcs11-root-'));
  });
  after(async () => {
    await token?.[Symbol.asyncDispose]();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  describe('opening', () => {
    it('refuses a wrong PIN without ever putting the PIN in the error', async () => {
      const error = await rejectsWith(
        openPkcs11Root({ uri: uriWith({ 'pin-value': WRONG_PIN }) }),
        'ROT_UNAVAILABLE',
        /refused the PIN/,
      );
      for (const text of [error.message, JSON.stringify(error), String(error.cause)]) {
        assert.doesNotMatch(text, new RegExp(WRONG_PIN));
        assert.doesNotMatch(text, new RegExp(PIN));
      }
    });

    it('refuses a malformed URI, or one without token= or module-path=, as ROT_CONFIG_INVALID', async () => {
      await rejectsWith(openPkcs11Root({ uri: 'not-a-pkcs11-uri' }), 'ROT_CONFIG_INVALID');
      const unknown = await rejectsWith(
        openPkcs11Root({ uri: `${uriWith({})}&frobnicate=1` }),
        'ROT_CONFIG_INVALID',
        /frobnicate/,
      );
      assert.doesNotMatch(`${unknown.message} ${JSON.stringify(unknown)}`, new RegExp(PIN));
      await rejectsWith(
        openPkcs11Root({ uri: uriWith({ 'module-path': undefined }) }),
        'ROT_CONFIG_INVALID',
        /module-path/,
      );
      await rejectsWith(openPkcs11Root({ uri: uriWith({}, 'object=x') }), 'ROT_CONFIG_INVALID', /token=/);
    });

    it('reports a missing module, token or PIN file as ROT_UNAVAILABLE', async () => {
      await rejectsWith(
        openPkcs11Root({ uri: uriWith({ 'module-path': '/usr/lib/no-such-pkcs11.so' }) }),
        'ROT_UNAVAILABLE',
        /no-such-pkcs11/,
      );
      await rejectsWith(openPkcs11Root({ uri: uriWith({}, 'token=no-such-token') }), 'ROT_UNAVAILABLE');
      const pinFile = join(work, 'no-such-pin');
      await rejectsWith(
        openPkcs11Root({ uri: uriWith({ 'pin-value': undefined, 'pin-source': `file:${pinFile}` }) }),
        'ROT_UNAVAILABLE',
        /no-such-pin/,
      );
    });

    it('reads the PIN from a pin-source file', async () => {
      const pinFile = join(work, 'pin');
      await writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
      await using root = await openPkcs11Root({
        uri: uriWith({ 'pin-value': undefined, 'pin-source': `file:${pinFile}` }),
      });
      assert.equal(await root.loadKey('nothing-here'), undefined);
    });
  });

  describe('with an open root', () => {
    let root: RootOfTrust;

    before(async () => {
      root = await openPkcs11Root({ uri: token.uri });
    });
    after(async () => {
      await root?.close();
    });

    it('is hardware-backed and says so in its facts', async () => {
      assert.equal(root.kind, 'pkcs11');
      assert.equal(root.hardwareBacked, true);
      const facts = await root.facts();
      assert.equal(facts.kind, 'pkcs11');
      assert.equal(facts.hardwareBacked, true);
    });

    it('refuses a second login with a different PIN while logged in, without the PIN in the error', async () => {
      const error = await rejectsWith(
        openPkcs11Root({ uri: uriWith({ 'pin-value': WRONG_PIN }) }),
        'ROT_UNAVAILABLE',
        /PIN differs/,
      );
      assert.doesNotMatch(`${error.message} ${JSON.stringify(error)}`, new RegExp(WRONG_PIN));
    });

    describe('#createKey', () => {
      it('generates a sensitive, never-extractable P-256 private key on the token', async () => {
        const key = await root.createKey('identity-a');
        assert.equal(key.label, 'identity-a');
        assert.equal(key.algorithm, 'ECDSA-P256-SHA256');
        const publicKey = createPublicKey({
          key: Buffer.from(key.publicKeySpki),
          format: 'der',
          type: 'spki',
        });
        assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
        const [object, ...others] = await objectsLabelled('privkey', 'identity-a');
        assert.equal(others.length, 0);
        assert.ok(object, 'pkcs11-tool finds the private key');
        assert.match(object, /^Private Key Object; EC/);
        const flags = (line: string) =>
          new Set((object.match(new RegExp(`^\\s*${line}:\\s*(.*)$`, 'm'))?.[1] ?? '').split(/,\s*/));
        const access = flags('Access');
        // Generated on the token (local), and it can never be read out.
        for (const flag of ['sensitive', 'always sensitive', 'never extractable', 'local']) {
          assert.ok(access.has(flag), `Access lacks "${flag}": ${[...access].join(', ')}`);
        }
        assert.equal(access.has('extractable'), false);
        assert.ok(flags('Usage').has('sign'));
      });

      it('signs with DER ECDSA-SHA256 signatures that node:crypto and openssl verify', async () => {
        const key = await root.createKey('identity-sign');
        const signature = await key.sign(data);
        assert.equal(signature[0], 0x30, 'DER SEQUENCE, not IEEE P1363 r||s');
        assert.equal(nodeVerifies(key, signature), true);
        const pem = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
        await writeFile(join(work, 'pub.pem'), pem.export({ format: 'pem', type: 'spki' }));
        await writeFile(join(work, 'data'), data);
        await writeFile(join(work, 'sig'), signature);
        const { stdout } = await run('openssl', [
          'dgst',
          '-sha256',
          '-verify',
          join(work, 'pub.pem'),
          '-signature',
          join(work, 'sig'),
          join(work, 'data'),
        ]);
        assert.match(stdout, /Verified OK/);
      });

      it('signs a CSR that openssl req -verify accepts', async () => {
        const key = await root.createKey('identity-csr');
        const csr = await buildCsr(key, { commonName: 'token-device', challengePassword: 'YmluZGluZw==' });
        await writeFile(join(work, 'csr.der'), csr);
        const { stdout, stderr } = await run('openssl', [
          'req',
          '-inform',
          'DER',
          '-in',
          join(work, 'csr.der'),
          '-verify',
          '-noout',
          '-subject',
          '-pubkey',
        ]);
        assert.match(`${stdout}${stderr}`, /verify OK/i);
        assert.match(stdout, /subject=CN ?= ?token-device/);
        const spki = createPublicKey(stdout.slice(stdout.indexOf('-----BEGIN PUBLIC KEY-----'))).export({
          format: 'der',
          type: 'spki',
        });
        assert.deepEqual(new Uint8Array(spki), key.publicKeySpki);
      });

      it('replaces the key under an existing label, leaving exactly one key pair with it', async () => {
        const old = await root.createKey('identity-b');
        const replacement = await root.createKey('identity-b');
        assert.notDeepEqual(replacement.publicKeySpki, old.publicKeySpki);
        assert.equal((await objectsLabelled('privkey', 'identity-b')).length, 1);
        assert.equal((await objectsLabelled('pubkey', 'identity-b')).length, 1);
        assert.deepEqual((await root.loadKey('identity-b'))?.publicKeySpki, replacement.publicKeySpki);
        assert.equal(nodeVerifies(replacement, await replacement.sign(data)), true);
      });
    });

    describe('#loadKey', () => {
      it('finds the same key after closing and reopening the root', async () => {
        const created = await root.createKey('identity-c');
        const first = await openPkcs11Root({ uri: token.uri });
        const again = await first.createKey('identity-d');
        await first.close();
        await using reopened = await openPkcs11Root({ uri: token.uri });
        for (const key of [created, again]) {
          const loaded = await reopened.loadKey(key.label);
          assert.ok(loaded, key.label);
          assert.deepEqual(loaded.publicKeySpki, key.publicKeySpki);
          assert.equal(nodeVerifies(key, await loaded.sign(data)), true);
        }
      });

      it('returns undefined for a label the token does not hold', async () => {
        assert.equal(await root.loadKey('never-created'), undefined);
      });
    });

    describe('#deleteKey', () => {
      it('destroys the private and public objects; loading finds nothing; deleting again is fine', async () => {
        await root.createKey('doomed');
        assert.equal((await objectsLabelled('privkey', 'doomed')).length, 1);
        assert.equal((await objectsLabelled('pubkey', 'doomed')).length, 1);
        await root.deleteKey('doomed');
        assert.deepEqual(await objectsLabelled('privkey', 'doomed'), []);
        assert.deepEqual(await objectsLabelled('pubkey', 'doomed'), []);
        assert.equal(await root.loadKey('doomed'), undefined);
        await root.deleteKey('doomed');
        await root.deleteKey('never-created');
      });
    });

    describe('#tlsClientKey', () => {
      it('authenticates Node TLS clients through the libp11 engine, twice, with a certificate from a token-signed CSR', async () => {
        const key = await root.createKey('tls-identity');
        const csr = await buildCsr(key, { commonName: 'token-device' });
        const pki = await issueClientCertificate(csr);
        try {
          const tlsKey = key.tlsClientKey();
          assert.equal(tlsKey.kind, 'node-options');
          if (tlsKey.kind !== 'node-options') return;
          assert.equal(tlsKey.options.privateKeyEngine, 'pkcs11');
          assert.equal(tlsKey.options.key, undefined, 'the private key never reaches Node');
          assert.equal(process.env.PKCS11_MODULE_PATH, token.modulePath);
          assert.equal(process.env.OPENSSL_ENGINES, DEBIAN_OPENSSL_ENGINES_DIR);
          for (let connection = 0; connection < 2; connection += 1) {
            const seen = await mutualTlsHandshake(pki, tlsKey.options);
            assert.equal(seen.serverAuthorized, true, seen.authorizationError);
            assert.deepEqual(new Uint8Array(seen.clientPublicKeySpki), key.publicKeySpki);
            assert.deepEqual(seen.clientBinding, seen.serverBinding);
          }
        } finally {
          await pki.dispose();
        }
      });

      it('re-creating a label TLS already used in this process switches TLS to the new key', async () => {
        // Renewal alternates two labels, so a label TLS used earlier in the process is created again
        // while libp11 still remembers the object it found under it.
        const used: IdentityKey[] = [];
        for (let generation = 0; generation < 2; generation += 1) {
          const key = await root.createKey('tls-rotated');
          const pki = await issueClientCertificate(await buildCsr(key, { commonName: 'rotated' }));
          try {
            const tlsKey = key.tlsClientKey();
            assert.equal(tlsKey.kind, 'node-options');
            if (tlsKey.kind !== 'node-options') return;
            const seen = await mutualTlsHandshake(pki, tlsKey.options);
            assert.equal(seen.serverAuthorized, true, seen.authorizationError);
            assert.deepEqual(new Uint8Array(seen.clientPublicKeySpki), key.publicKeySpki);
            for (const earlier of used) {
              assert.notDeepEqual(new Uint8Array(seen.clientPublicKeySpki), earlier.publicKeySpki);
            }
            used.push(key);
            if (generation === 1) {
              // Once deleted, the key is gone for TLS too: the engine cannot sign with it.
              await root.deleteKey('tls-rotated');
              await assert.rejects(mutualTlsHandshake(pki, tlsKey.options), /PKCS#11|engine|private key/i);
            }
          } finally {
            await pki.dispose();
          }
        }
      });
    });
  });
});
