import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Swtpm, skipUnlessCommand, startSwtpm } from '@palisade/testkit';
import { buildCsr } from '../identity/csr.ts';
import type { IdentityKey, RootOfTrust } from './root-of-trust.ts';
import { RootOfTrustError, type RootOfTrustErrorCode } from './root-of-trust-error.ts';
import { openTpmRoot } from './tpm-root.ts';
import { issueClientCertificate, mutualTlsHandshake } from './tpm-test-support.ts';

const run = promisify(execFile);
const skip =
  skipUnlessCommand('swtpm', ['--version']) ||
  skipUnlessCommand('tpm2_getcap', ['--version']) ||
  skipUnlessCommand('tpm2-abrmd', ['--version']) ||
  skipUnlessCommand('tpm2_ptool', ['--help']) ||
  skipUnlessCommand('openssl', ['version']);

const rejectsWith = (promise: Promise<unknown>, code: RootOfTrustErrorCode, message?: RegExp) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RootOfTrustError, String(error));
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });

async function verifiesWithOpenssl(key: IdentityKey, data: Uint8Array, signature: Uint8Array): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-tpm-test-'));
  try {
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
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const nodeVerifies = (key: IdentityKey, data: Uint8Array, signature: Uint8Array) =>
  verify(
    'sha256',
    data,
    { key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki', dsaEncoding: 'der' },
    signature,
  );

describe('openTpmRoot', { skip }, () => {
  it('rejects a TCTI with no TPM behind it as ROT_UNAVAILABLE, naming the TCTI', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'palisade-tpm-state-'));
    try {
      await rejectsWith(
        openTpmRoot({ tcti: 'swtpm:host=127.0.0.1,port=1', stateDir }),
        'ROT_UNAVAILABLE',
        /port=1.*Cannot connect/,
      );
      await rejectsWith(
        openTpmRoot({ tcti: 'device:/dev/palisade-no-tpm', stateDir }),
        'ROT_UNAVAILABLE',
        /palisade-no-tpm/,
      );
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('rejects an empty TCTI and a handle outside the persistent range before touching a TPM', async () => {
    await rejectsWith(openTpmRoot({ tcti: ' ', stateDir: tmpdir() }), 'ROT_CONFIG_INVALID');
    await rejectsWith(
      openTpmRoot({ tcti: 'device:/dev/tpmrm0', stateDir: tmpdir(), srkHandle: 0x80000001 }),
      'ROT_CONFIG_INVALID',
    );
  });
});

describe('TPM root of trust on swtpm without a resource manager', { skip }, () => {
  it('creates, signs with and deletes more keys than the TPM has transient slots', async () => {
    await using tpm = await startSwtpm();
    const stateDir = await mkdtemp(join(tmpdir(), 'palisade-tpm-state-'));
    try {
      await using root = await openTpmRoot({ tcti: tpm.tcti, stateDir, tls: false });
      const data = new TextEncoder().encode('slots');
      for (const label of ['a', 'b', 'c', 'd', 'e']) {
        const key = await root.createKey(label);
        assert.equal(nodeVerifies(key, data, await key.sign(data)), true);
        assert.throws(
          () => key.tlsClientKey(),
          (error: unknown) => error instanceof RootOfTrustError && error.code === 'ROT_CONFIG_INVALID',
        );
      }
      const env = { ...process.env, TPM2TOOLS_TCTI: tpm.tcti };
      assert.equal((await run('tpm2_getcap', ['handles-transient'], { env })).stdout.trim(), '');
      for (const label of ['a', 'b', 'c', 'd', 'e']) await root.deleteKey(label);
      const persistent = (await run('tpm2_getcap', ['handles-persistent'], { env })).stdout;
      assert.doesNotMatch(persistent, /0x8100001/);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('TPM root of trust (swtpm behind tpm2-abrmd)', { skip }, () => {
  let tpm: Swtpm;
  let stateDir: string;
  let root: RootOfTrust;
  const data = new TextEncoder().encode('palisade identity');

  before(async () => {
    tpm = await startSwtpm({ resourceManager: true });
    stateDir = await mkdtemp(join(tmpdir(), 'palisade-tpm-state-'));
    root = await openTpmRoot({ tcti: tpm.tcti, stateDir });
  });
  after(async () => {
    await root?.close();
    await tpm?.[Symbol.asyncDispose]();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });

  describe('#createKey', () => {
    it('makes a P-256 key whose signatures node:crypto and openssl verify', async () => {
      const key = await root.createKey('identity-a');
      const publicKey = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
      assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const signature = await key.sign(data);
      assert.equal(signature[0], 0x30, 'DER SEQUENCE');
      assert.equal(nodeVerifies(key, data, signature), true);
      await verifiesWithOpenssl(key, data, signature);
    });

    it('keeps the private key in the TPM: fixedtpm, sensitivedataorigin, persisted under the SRK', async () => {
      const key = await root.loadKey('identity-a');
      assert.ok(key);
      const env = { ...process.env, TPM2TOOLS_TCTI: tpm.tcti };
      const { stdout } = await run('tpm2_readpublic', ['-c', '0x81000010'], { env });
      assert.match(stdout, /fixedtpm\|fixedparent\|sensitivedataorigin\|userwithauth\|sign/);
      assert.match((await run('tpm2_getcap', ['handles-persistent'], { env })).stdout, /0x81000001/);
    });

    it('replaces a label: the old key object can no longer sign', async () => {
      const old = await root.createKey('identity-b');
      const replacement = await root.createKey('identity-b');
      assert.notDeepEqual(replacement.publicKeySpki, old.publicKeySpki);
      await rejectsWith(old.sign(data), 'ROT_OPERATION_FAILED', /deleted or replaced/);
      assert.equal(nodeVerifies(replacement, data, await replacement.sign(data)), true);
    });

    it('rejects a label that is not a plain name', async () => {
      await rejectsWith(root.createKey('../escape'), 'ROT_CONFIG_INVALID');
    });
  });

  describe('#loadKey / #deleteKey', () => {
    it('returns undefined for an unknown label', async () => {
      assert.equal(await root.loadKey('never-created'), undefined);
    });

    it('evicts the key: signing with it fails, loading finds nothing, deleting again is fine', async () => {
      const key = await root.createKey('doomed');
      await root.deleteKey('doomed');
      await rejectsWith(key.sign(data), 'ROT_OPERATION_FAILED');
      assert.equal(await root.loadKey('doomed'), undefined);
      await root.deleteKey('doomed');
    });

    it('reports a key evicted behind its back as ROT_KEY_CORRUPT, not as absent', async () => {
      await root.createKey('stolen');
      const index = JSON.parse(await readFile(join(stateDir, 'tpm-keys.json'), 'utf8')) as {
        keys: Record<string, { handle: string }>;
      };
      const handle = index.keys.stolen?.handle ?? '';
      await run('tpm2_evictcontrol', ['-C', 'o', '-c', handle], {
        env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti },
      });
      await rejectsWith(root.loadKey('stolen'), 'ROT_KEY_CORRUPT', /missing/);
      await root.deleteKey('stolen');
    });

    it('refuses an index file that is not its own as ROT_KEY_CORRUPT', async () => {
      const other = await mkdtemp(join(tmpdir(), 'palisade-tpm-state-'));
      try {
        await writeFile(join(other, 'tpm-keys.json'), '{"version":1,"keys":{"x":{"handle":"nope"}}}');
        await rejectsWith(openTpmRoot({ tcti: tpm.tcti, stateDir: other, tls: false }), 'ROT_KEY_CORRUPT');
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    });
  });

  describe('#facts', () => {
    it('names the TPM and returns the EK certificate swtpm_setup provisioned', async () => {
      const facts = await root.facts();
      assert.equal(facts.kind, 'tpm');
      assert.equal(facts.hardwareBacked, true);
      assert.equal(facts.manufacturer, 'IBM');
      assert.match(facts.firmwareVersion ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      const ek = new X509Certificate(facts.endorsementCertificatePem ?? '');
      assert.match(ek.issuer, /swtpm/i);
    });
  });

  it('keeps keys across a TPM restart (persistent handles)', async () => {
    const key = await root.createKey('survivor');
    await tpm.restart();
    await using reopened = await openTpmRoot({ tcti: tpm.tcti, stateDir });
    const loaded = await reopened.loadKey('survivor');
    assert.deepEqual(loaded?.publicKeySpki, key.publicKeySpki);
    assert.equal(nodeVerifies(key, data, (await loaded?.sign(data)) ?? new Uint8Array()), true);
  });

  describe('#tlsClientKey', () => {
    it('authenticates a Node TLS client with the TPM key and a certificate from a TPM-signed CSR', async () => {
      const key = await root.createKey('tls-identity');
      const csr = await buildCsr(key, { commonName: 'tpm-device' });
      const pki = await issueClientCertificate(csr);
      try {
        const tlsKey = key.tlsClientKey();
        assert.equal(tlsKey.kind, 'node-options');
        if (tlsKey.kind !== 'node-options') return;
        const seen = await mutualTlsHandshake(pki, tlsKey.options);
        assert.equal(seen.serverAuthorized, true, seen.authorizationError);
        assert.deepEqual(new Uint8Array(seen.clientPublicKeySpki), key.publicKeySpki);
        // The EST channel binding (RFC 9266) is the same on both ends, computed in-process.
        assert.deepEqual(seen.clientBinding, seen.serverBinding);
        // A second connection reuses the engine (loading it by path breaks on the second use).
        assert.equal((await mutualTlsHandshake(pki, tlsKey.options)).serverAuthorized, true);
      } finally {
        await pki.dispose();
      }
    });

    it('refuses, with a clear reason, a key created after the process first used TLS', async () => {
      const late = await root.createKey('tls-late');
      assert.throws(
        () => late.tlsClientKey(),
        (error: unknown) => {
          assert.ok(error instanceof RootOfTrustError);
          assert.equal(error.code, 'ROT_RESTART_REQUIRED');
          assert.match(error.message, /restart the agent/);
          return true;
        },
      );
    });
  });
});
