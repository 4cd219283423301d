import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { type CryptoPolicy, cryptoPolicyToOpenSslConf, parsePolicyDocument } from '@palisade/core';
import { skipUnlessCommand } from '@palisade/testkit';
import { AgentError } from '../agent-error.ts';
import { openPanelTls, type PanelEndpoint } from '../channel/panel-tls.ts';
import { CryptoApplier, type CryptoApplierOptions } from './crypto-applier.ts';
import { PolicyApplyError } from './policy-apply-error.ts';
import { FakePolicyPanel } from './policy-test-support.ts';

const skip = skipUnlessCommand('openssl', ['version']);

const cryptoPolicy = (tls: Record<string, unknown> = {}, more: Record<string, unknown> = {}) =>
  parsePolicyDocument('crypto', {
    tls: {
      minVersion: 'TLSv1.2',
      cipherSuites: ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
      groups: ['X25519MLKEM768', 'X25519', 'P-256'],
      signatureAlgorithms: ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384', 'rsa_pss_rsae_sha256'],
      requirePostQuantumGroup: false,
      ...tls,
    },
    keys: { minRsaBits: 3072, minEcBits: 256, allowedCurves: ['P-256', 'P-384'] },
    hashes: { allowed: ['SHA-256', 'SHA-384'] },
    fipsProviderRequired: false,
    updates: { requireHybridSignatures: true },
    ...more,
  }) as CryptoPolicy;

const POST_QUANTUM = cryptoPolicy({ requirePostQuantumGroup: true });

describe('CryptoApplier', { skip }, () => {
  let dir: string;
  let panel: FakePolicyPanel;
  let classicalPanel: FakePolicyPanel;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-crypto-policy-'));
    panel = await FakePolicyPanel.start();
    // A panel whose TLS offers no post-quantum group.
    classicalPanel = await FakePolicyPanel.start({ ecdhCurve: 'X25519:P-256' });
  });
  after(async () => {
    await panel?.close();
    await classicalPanel?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The applier, and the endpoint the agent's connections would use with its settings. */
  const setUp = (target: FakePolicyPanel, options: Partial<CryptoApplierOptions> = {}) => {
    const applier = new CryptoApplier({ agentTls: true, ...options });
    const endpoint: PanelEndpoint = { ...target.endpoint, tlsParameters: () => applier.tlsParameters };
    const link = target.link([endpoint]);
    return { applier, endpoint, link };
  };

  it('makes new connections to the panel offer X25519MLKEM768 alone when the policy requires it', async () => {
    const { applier, endpoint, link } = setUp(panel);
    const outcome = await applier.apply(POST_QUANTUM, link.panel);
    link.client.close();
    assert.equal(outcome.outcome, 'applied');
    assert.equal(applier.tlsParameters?.ecdhCurve, 'X25519MLKEM768');
    assert.equal(applier.tlsParameters?.minVersion, 'TLSv1.3');
    const socket = (await openPanelTls(endpoint)) as TLSSocket;
    try {
      assert.equal(socket.getProtocol(), 'TLSv1.3');
      assert.deepEqual(socket.getEphemeralKeyInfo(), {
        type: 'TLSGroup',
        name: 'X25519MLKEM768',
        size: undefined,
      });
    } finally {
      socket.destroy();
    }
  });

  it('rolls the channel settings back when the panel cannot be reached with them (a panel without ML-KEM)', async () => {
    const { applier, endpoint, link } = setUp(classicalPanel);
    const outcome = await applier.apply(POST_QUANTUM, link.panel);
    link.client.close();
    assert.equal(outcome.outcome, 'rolled_back');
    assert.ok(outcome.outcome === 'rolled_back' && outcome.reason.code === 'POLICY_NOT_CONFIRMED');
    assert.equal(applier.tlsParameters, undefined, 'the agent defaults are back');
    const socket = (await openPanelTls(endpoint)) as TLSSocket;
    socket.destroy();
  });

  it('does not blame the policy when the panel was unreachable before switching: a plain failure, nothing changed', async () => {
    const { applier, link } = setUp(panel);
    const unreachable = {
      ...link.panel,
      reach: async () => Promise.reject(new AgentError('PANEL_UNREACHABLE', 'down')),
    };
    await assert.rejects(applier.apply(POST_QUANTUM, unreachable), { code: 'PANEL_UNREACHABLE' });
    link.client.close();
    assert.equal(applier.tlsParameters, undefined);
  });

  it('writes the OpenSSL include atomically (0644) for operators who opt in, and repairs it after an edit', async () => {
    const include = join(dir, 'palisade.cnf');
    const { applier, link } = setUp(panel, { opensslInclude: include });
    const document = cryptoPolicy();
    const outcome = await applier.apply(document, link.panel);
    link.client.close();
    assert.equal(outcome.outcome, 'applied');
    assert.equal(await readFile(include, 'utf8'), cryptoPolicyToOpenSslConf(document));
    assert.equal((await stat(include)).mode & 0o777, 0o644);
    assert.equal(await applier.drift(document, outcome.liveStateHash), undefined);
    await writeFile(include, '[system_default_sect]\nMinProtocol = TLSv1\n');
    const drift = await applier.drift(document, outcome.liveStateHash);
    assert.match(drift?.message ?? '', /was edited/);
    assert.deepEqual(drift?.event.body.paths, [include]);
    const repaired = await applier.repair(document);
    assert.equal(repaired.liveStateHash, outcome.liveStateHash);
    assert.equal(await readFile(include, 'utf8'), cryptoPolicyToOpenSslConf(document));
    await rm(include);
    assert.match((await applier.drift(document, outcome.liveStateHash))?.message ?? '', /was deleted/);
    await applier.repair(document);
    await applier.remove();
    await assert.rejects(stat(include), { code: 'ENOENT' });
  });

  it('refuses a policy that requires the FIPS provider on an agent running without it, changing nothing', async () => {
    const include = join(dir, 'fips.cnf');
    const { applier, link } = setUp(panel, { opensslInclude: include, fipsEnabled: () => false });
    await assert.rejects(
      applier.apply(cryptoPolicy({}, { fipsProviderRequired: true }), link.panel),
      (error: unknown) => {
        assert.ok(
          error instanceof PolicyApplyError && error.code === 'CRYPTO_POLICY_UNSUPPORTED',
          String(error),
        );
        assert.match(error.message, /FIPS provider/);
        return true;
      },
    );
    link.client.close();
    assert.equal(applier.tlsParameters, undefined);
    await assert.rejects(stat(include), { code: 'ENOENT' });
  });
});
