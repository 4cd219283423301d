import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  KeyStoreError,
  type KeyStoreErrorCode,
  openPkcs11KeyStore,
  type Pkcs11SigningKey,
} from '@palisade/pkcs11';
import { createSoftHsmToken, type SoftHsmToken, skipUnlessCommand } from '@palisade/testkit';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { issueLeafWithNewKey } from './leaf-certificate.ts';
import { ECDSA_P256, ECDSA_SHA256, randomSerial, toPem, x509 } from './x509.ts';

const run = promisify(execFile);
const PIN = '2468-palisade';
const WRONG_PIN = 'Wr0ngPin-1357';

async function rejectsWith(promise: Promise<unknown>, code: KeyStoreErrorCode): Promise<KeyStoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof KeyStoreError, `expected KeyStoreError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

async function selfSignedCa(key: Pkcs11SigningKey, name: string): Promise<CertificateAuthority> {
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=${name}, O=Palisade test`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 24 * 3600_000),
      keys: { privateKey: key.privateKey, publicKey: key.publicKey },
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
      ],
    },
    key.crypto,
  );
  return { certificate, certificatePem: toPem(certificate), privateKey: key.privateKey, crypto: key.crypto };
}

async function spki(key: webcrypto.CryptoKey): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.exportKey('spki', key));
}

describe('openPkcs11KeyStore', { skip: skipUnlessCommand('softhsm2-util', ['--version']) }, () => {
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

  before(async () => {
    token = await createSoftHsmToken({ label: 'palisade', pin: PIN, soPin: '13579-so' });
    work = await mkdtemp(join(tmpdir(), 'palisade-pkcs11-'));
  });
  after(async () => {
    await token[Symbol.asyncDispose]();
    await rm(work, { recursive: true, force: true });
  });

  describe('#createSigningKey', () => {
    it('keeps the private key on the token: sensitive, never extractable (pkcs11-tool)', async () => {
      await using store = await openPkcs11KeyStore(token.uri);
      const key = await store.createSigningKey('attrs-ca');
      assert.equal(key.privateKey.type, 'private');
      assert.equal(key.privateKey.extractable, false);
      await assert.rejects(key.crypto.subtle.exportKey('pkcs8', key.privateKey));
      await assert.rejects(key.crypto.subtle.exportKey('jwk', key.privateKey));

      // Another process sees the objects, so they are CKA_TOKEN objects, and reads their attributes.
      const listing = await pkcs11Tool('--list-objects', '--type', 'privkey');
      const block = listing.split(/\n(?=\S)/).find((b) => /label:\s+attrs-ca\n/.test(b));
      assert.ok(block !== undefined, listing);
      assert.match(block, /^Private Key Object; EC/);
      const access = /Access:\s+(.*)/.exec(block)?.[1]?.split(', ') ?? [];
      assert.ok(access.includes('sensitive'), block);
      assert.ok(access.includes('always sensitive'), block);
      assert.ok(access.includes('never extractable'), block);
      assert.ok(!access.includes('extractable'), block);
      assert.match(block, /Usage:\s+sign/);
    });

    it('issues a CA and a leaf certificate that openssl verify accepts, signed by the token key', async () => {
      await using store = await openPkcs11KeyStore(token.uri);
      const key = await store.createSigningKey('issuing-ca');
      const ca = await selfSignedCa(key, 'Palisade Token CA');
      // The panel's own leaf issuance, unchanged, with the token-backed authority.
      const leaf = await issueLeafWithNewKey(ca, {
        commonName: 'panel.example',
        usage: 'server',
        altNames: ['panel.example'],
        validityDays: 1,
      });
      await writeFile(join(work, 'ca.pem'), ca.certificatePem);
      await writeFile(join(work, 'leaf.pem'), leaf.certificatePem);
      const verified = await run('openssl', [
        'verify',
        '-x509_strict',
        '-CAfile',
        join(work, 'ca.pem'),
        join(work, 'ca.pem'),
        join(work, 'leaf.pem'),
      ]);
      assert.equal(verified.stdout, `${join(work, 'ca.pem')}: OK\n${join(work, 'leaf.pem')}: OK\n`);

      // The certified public key is the token's own public object, read back by pkcs11-tool.
      const tokenPublic = join(work, 'issuing-ca.pub.der');
      await pkcs11Tool(
        '--read-object',
        '--type',
        'pubkey',
        '--label',
        'issuing-ca',
        '--output-file',
        tokenPublic,
      );
      assert.deepEqual(await readFile(tokenPublic), Buffer.from(ca.certificate.publicKey.rawData));
    });

    it('signs concurrent requests one at a time instead of failing with CKR_OPERATION_ACTIVE', async () => {
      await using store = await openPkcs11KeyStore(token.uri);
      const key = await store.createSigningKey('busy-ca');
      const messages = Array.from({ length: 12 }, (_, i) => Buffer.from(`message ${i}`));
      const signatures = await Promise.all(
        messages.map((m) => key.crypto.subtle.sign(ECDSA_SHA256, key.privateKey, m)),
      );
      for (const [i, signature] of signatures.entries()) {
        assert.equal(signature.byteLength, 64, 'WebCrypto ECDSA P-256 signatures are raw r||s');
        const message = messages[i] ?? Buffer.alloc(0);
        assert.ok(await webcrypto.subtle.verify(ECDSA_SHA256, key.publicKey, signature, message));
      }
    });

    it('refuses a second key with a label already on the token', async () => {
      await using store = await openPkcs11KeyStore(token.uri);
      await store.createSigningKey('twice-ca');
      await rejectsWith(store.createSigningKey('twice-ca'), 'PKCS11_KEY_EXISTS');
      const listing = await pkcs11Tool('--list-objects', '--type', 'privkey');
      assert.equal(listing.match(/label:\s+twice-ca\n/g)?.length, 1, 'no second key was created');
    });

    it('takes the label from object= and the CKA_ID from id= of the URI', async () => {
      const uri = uriWith({}, `token=${token.label};object=uri-ca;id=%0A%0B%0C`);
      await using store = await openPkcs11KeyStore(uri);
      const created = await store.createSigningKey();
      assert.equal(created.label, 'uri-ca');
      assert.match(
        await pkcs11Tool('--list-objects', '--type', 'privkey'),
        /label:\s+uri-ca\n\s+ID:\s+0a0b0c\n/,
      );
      const loaded = await store.loadSigningKey();
      assert.deepEqual(await spki(loaded.publicKey), await spki(created.publicKey));
    });
  });

  describe('#loadSigningKey', () => {
    it('finds a key again after close and reopen, and it still signs', async () => {
      const first = await openPkcs11KeyStore(token.uri);
      const created = await first.createSigningKey('persistent-ca');
      await first.close();

      await using second = await openPkcs11KeyStore(token.uri);
      const loaded = await second.loadSigningKey('persistent-ca');
      assert.deepEqual(await spki(loaded.publicKey), await spki(created.publicKey));
      const data = Buffer.from('after reopen');
      const signature = await loaded.crypto.subtle.sign(ECDSA_SHA256, loaded.privateKey, data);
      assert.ok(await webcrypto.subtle.verify(ECDSA_SHA256, created.publicKey, signature, data));
    });

    it('rejects an unknown label with PKCS11_KEY_NOT_FOUND', async () => {
      await using store = await openPkcs11KeyStore(token.uri);
      await rejectsWith(store.loadSigningKey('no-such-ca'), 'PKCS11_KEY_NOT_FOUND');
    });

    it('rejects a known label with another id= with PKCS11_KEY_NOT_FOUND', async () => {
      {
        await using store = await openPkcs11KeyStore(uriWith({}, `token=${token.label};id=%FF%FF`));
        await store.createSigningKey('id-ca');
      }
      await using other = await openPkcs11KeyStore(uriWith({}, `token=${token.label};id=%EE`));
      await rejectsWith(other.loadSigningKey('id-ca'), 'PKCS11_KEY_NOT_FOUND');
    });

    it('refuses an extractable key and a non-EC key made by pkcs11-tool (PKCS11_KEY_UNSUITABLE)', async () => {
      await pkcs11Tool(
        '--keypairgen',
        '--key-type',
        'EC:prime256v1',
        '--label',
        'weak-ca',
        '--usage-sign',
        '--extractable',
      );
      await pkcs11Tool(
        '--keypairgen',
        '--key-type',
        'rsa:2048',
        '--label',
        'rsa-ca',
        '--usage-sign',
        '--sensitive',
      );
      await using store = await openPkcs11KeyStore(token.uri);
      const weak = await rejectsWith(store.loadSigningKey('weak-ca'), 'PKCS11_KEY_UNSUITABLE');
      assert.match(weak.message, /CKA_EXTRACTABLE is true/);
      const rsa = await rejectsWith(store.loadSigningKey('rsa-ca'), 'PKCS11_KEY_UNSUITABLE');
      assert.match(rsa.message, /not an EC key/);
    });
  });

  describe('opening', () => {
    it('rejects a wrong PIN with PKCS11_LOGIN_FAILED and never repeats the PIN', async () => {
      const error = await rejectsWith(
        openPkcs11KeyStore(uriWith({ 'pin-value': WRONG_PIN })),
        'PKCS11_LOGIN_FAILED',
      );
      assert.match(error.message, /CKR_PIN_INCORRECT/);
      assert.doesNotMatch(
        `${error.message} ${JSON.stringify(error.details)} ${error.stack}`,
        /Wr0ngPin|2468/,
      );
    });

    it('rejects a wrong PIN even while another store in the process is logged in', async () => {
      await using open = await openPkcs11KeyStore(token.uri);
      await rejectsWith(openPkcs11KeyStore(uriWith({ 'pin-value': WRONG_PIN })), 'PKCS11_LOGIN_FAILED');
      await using again = await openPkcs11KeyStore(token.uri);
      assert.equal(open.kind, again.kind);
    });

    it('reads the PIN from pin-source, and rejects an unreadable one with PKCS11_PIN_UNAVAILABLE', async () => {
      const pinFile = join(work, 'pin');
      await writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
      await using store = await openPkcs11KeyStore(
        uriWith({ 'pin-value': undefined, 'pin-source': `file:${pinFile}` }),
      );
      assert.equal(store.kind, 'pkcs11');
      await rejectsWith(
        openPkcs11KeyStore(uriWith({ 'pin-value': undefined, 'pin-source': join(work, 'missing') })),
        'PKCS11_PIN_UNAVAILABLE',
      );
      await rejectsWith(openPkcs11KeyStore(uriWith({ 'pin-value': undefined })), 'PKCS11_PIN_UNAVAILABLE');
    });

    it('rejects a missing module, or a file that is no module, with PKCS11_MODULE_UNAVAILABLE', async () => {
      await rejectsWith(
        openPkcs11KeyStore(uriWith({ 'module-path': '/nonexistent/libpkcs11-nothing.so' })),
        'PKCS11_MODULE_UNAVAILABLE',
      );
      const notALibrary = join(work, 'not-a-library.so');
      await writeFile(notALibrary, 'not an ELF file');
      await rejectsWith(
        openPkcs11KeyStore(uriWith({ 'module-path': notALibrary })),
        'PKCS11_MODULE_UNAVAILABLE',
      );
    });

    it('rejects a URI without module-path, and a malformed one, with PKCS11_URI_INVALID', async () => {
      await rejectsWith(openPkcs11KeyStore(uriWith({ 'module-path': undefined })), 'PKCS11_URI_INVALID');
      await rejectsWith(openPkcs11KeyStore(`${token.uri}&colour=blue`), 'PKCS11_URI_INVALID');
    });

    it('rejects a token label that no token has with PKCS11_TOKEN_NOT_FOUND, listing the tokens', async () => {
      const error = await rejectsWith(
        openPkcs11KeyStore(uriWith({}, 'token=elsewhere')),
        'PKCS11_TOKEN_NOT_FOUND',
      );
      assert.deepEqual(
        ((error.details?.available ?? []) as { label: string }[]).map((t) => t.label),
        [token.label],
      );
    });

    it('lets two stores share the module: closing one leaves the other signing', async () => {
      const first = await openPkcs11KeyStore(token.uri);
      await using second = await openPkcs11KeyStore(token.uri);
      const key = await second.createSigningKey('shared-ca');
      await first.close();
      const signature = await key.crypto.subtle.sign(ECDSA_SHA256, key.privateKey, Buffer.from('still here'));
      assert.ok(
        await webcrypto.subtle.verify(ECDSA_SHA256, key.publicKey, signature, Buffer.from('still here')),
      );
    });
  });

  describe('#close', () => {
    it('stops the keys from signing with PKCS11_STORE_CLOSED and is idempotent', async () => {
      const store = await openPkcs11KeyStore(token.uri);
      const key = await store.createSigningKey('closed-ca');
      const pending = key.crypto.subtle.sign(ECDSA_SHA256, key.privateKey, Buffer.from('before close'));
      await Promise.all([store.close(), store.close()]);
      assert.equal((await pending).byteLength, 64, 'a signature requested before close completes');
      await rejectsWith(
        key.crypto.subtle.sign(ECDSA_SHA256, key.privateKey, Buffer.from('x')),
        'PKCS11_STORE_CLOSED',
      );
      await rejectsWith(store.loadSigningKey('closed-ca'), 'PKCS11_STORE_CLOSED');
      // Node keys still go to Node's WebCrypto through the same crypto.
      const nodeKeys = (await key.crypto.subtle.generateKey(ECDSA_P256, false, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      assert.equal(nodeKeys.privateKey.type, 'private');
    });
  });
});
