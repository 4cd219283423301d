import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { policyKeyId } from '@palisade/core';
import fc from 'fast-check';
import pino from 'pino';
import { PinnedPolicyTrust, parsePolicyTrustDocument } from './pinned-trust.ts';
import { PolicyApplyError, type PolicyApplyErrorCode } from './policy-apply-error.ts';
import { capturingLogger, PolicyKeys } from './policy-test-support.ts';

const silent = pino({ level: 'silent' });

function refused(run: () => unknown, code: PolicyApplyErrorCode, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PolicyApplyError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('parsePolicyTrustDocument', () => {
  const keys = new PolicyKeys();
  const document = keys.trustDocument() as { keys: Array<Record<string, string>> };
  const [ecdsa, mlDsa] = document.keys as [Record<string, string>, Record<string, string>];

  it('builds the trust from P-256 and ML-DSA-65 keys under their policyKeyIds', () => {
    const { trust } = parsePolicyTrustDocument(keys.trustDocument(['ecdsa-p256-sha256', 'ml-dsa-65']));
    assert.deepEqual([...trust.keys.keys()].sort(), [ecdsa.keyId, mlDsa.keyId].sort());
    assert.deepEqual(trust.requireAlgorithms, ['ecdsa-p256-sha256', 'ml-dsa-65']);
  });

  it('refuses a key listed under another key’s ID', () => {
    refused(
      () => parsePolicyTrustDocument({ keys: [{ ...ecdsa, keyId: mlDsa.keyId }] }),
      'POLICY_TRUST_INVALID',
      /keys\/0\/keyId is not the SHA-256 of the key's SPKI/,
    );
  });

  it('refuses a key listed for another algorithm than its type', () => {
    refused(
      () => parsePolicyTrustDocument({ keys: [{ ...ecdsa, algorithm: 'ml-dsa-65' }] }),
      'POLICY_TRUST_INVALID',
      /keys\/0\/publicKeyPem is not an ml-dsa-65 key/,
    );
  });

  it('refuses a P-384 key (policy keys are P-256 or ML-DSA-65)', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const entry = {
      keyId: policyKeyId(publicKey),
      algorithm: 'ecdsa-p256-sha256',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    refused(
      () => parsePolicyTrustDocument({ keys: [entry] }),
      'POLICY_TRUST_INVALID',
      /is not an ecdsa-p256-sha256 key/,
    );
  });

  it('refuses a required algorithm no listed key has: nothing could ever verify', () => {
    refused(
      () => parsePolicyTrustDocument({ keys: [ecdsa], requireAlgorithms: ['ml-dsa-65'] }),
      'POLICY_TRUST_INVALID',
      /requireAlgorithms names ml-dsa-65, but no ml-dsa-65 key is listed/,
    );
  });

  it('refuses duplicates, unknown members and an empty key list', () => {
    refused(() => parsePolicyTrustDocument({ keys: [ecdsa, ecdsa] }), 'POLICY_TRUST_INVALID', /listed twice/);
    refused(
      () => parsePolicyTrustDocument({ keys: [ecdsa], extra: 1 }),
      'POLICY_TRUST_INVALID',
      /extra is not a known member/,
    );
    refused(
      () => parsePolicyTrustDocument({ keys: [] }),
      'POLICY_TRUST_INVALID',
      /keys must list 1 to 16 keys/,
    );
  });

  it('never throws anything but POLICY_TRUST_INVALID for any JSON the panel could send', () => {
    const entry = fc.record(
      {
        keyId: fc.oneof(fc.constant(ecdsa.keyId), fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
        algorithm: fc.oneof(fc.constantFrom('ecdsa-p256-sha256', 'ml-dsa-65'), fc.string()),
        publicKeyPem: fc.oneof(
          fc.constant(ecdsa.publicKeyPem),
          fc.constant(mlDsa.publicKeyPem),
          fc.string().map((s) => `-----BEGIN PUBLIC KEY-----\n${s}\n-----END PUBLIC KEY-----\n`),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    const input = fc.oneof(
      fc.record(
        {
          keys: fc.oneof(fc.array(fc.oneof(entry, fc.anything()), { maxLength: 4 }), fc.anything()),
          requireAlgorithms: fc.oneof(
            fc.array(fc.constantFrom('ecdsa-p256-sha256', 'ml-dsa-65', 'rsa')),
            fc.anything(),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    fc.assert(
      fc.property(input, (candidate) => {
        try {
          const { trust } = parsePolicyTrustDocument(candidate);
          for (const [keyId, key] of trust.keys) assert.equal(policyKeyId(key.publicKey), keyId);
        } catch (error) {
          assert.ok(
            error instanceof PolicyApplyError && error.code === 'POLICY_TRUST_INVALID',
            String(error),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('PinnedPolicyTrust', () => {
  let dir: string;
  const keys = new PolicyKeys();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-pinned-trust-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('pins the panel’s keys on first use (0600) and never asks again, even after a restart', async () => {
    const file = join(dir, 'first.json');
    let asked = 0;
    const fetch = async () => {
      asked += 1;
      return keys.trustDocument();
    };
    const trust = new PinnedPolicyTrust(file, silent);
    await trust.load();
    const first = await trust.get(fetch);
    await trust.get(fetch);
    assert.equal(asked, 1);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const restarted = new PinnedPolicyTrust(file, silent);
    await restarted.load();
    const again = await restarted.get(fetch);
    assert.equal(asked, 1, 'a restarted agent uses the pinned file');
    assert.deepEqual([...again.keys.keys()], [...first.keys.keys()]);
  });

  it('logs a changed key set loudly, with how to re-pin, and keeps the pinned one', async () => {
    const file = join(dir, 'changed.json');
    const { logger, lines } = capturingLogger();
    const trust = new PinnedPolicyTrust(file, logger);
    await trust.get(async () => keys.trustDocument());
    const rotated = new PolicyKeys();
    assert.equal(await trust.compareWithPanel(async () => rotated.trustDocument()), 'changed');
    const loud = lines().find((line) => line.level === 50);
    assert.ok(loud, 'an error-level line');
    assert.match(String(loud.msg), /NOT adopted/);
    assert.ok(String(loud.msg).includes(`delete ${file}`), String(loud.msg));
    const still = await trust.get(async () => rotated.trustDocument());
    assert.ok(still.keys.has(policyKeyId(keys.ecdsa.publicKey)), 'the pinned key stays');
    assert.ok(!still.keys.has(policyKeyId(rotated.ecdsa.publicKey)), 'the offered key is not adopted');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { keys: Array<{ keyId: string }> };
    assert.ok(saved.keys.some((k) => k.keyId === policyKeyId(keys.ecdsa.publicKey)));
    assert.equal(await trust.compareWithPanel(async () => keys.trustDocument()), 'same');
  });

  it('refuses every policy on a corrupt pinned file instead of silently pinning again', async () => {
    const file = join(dir, 'corrupt.json');
    await writeFile(file, '{"format":1,"keys":[{"keyId":"00"}]}');
    const trust = new PinnedPolicyTrust(file, silent);
    await trust.load();
    let asked = false;
    await assert.rejects(
      trust.get(async () => {
        asked = true;
        return keys.trustDocument();
      }),
      (error: unknown) => error instanceof PolicyApplyError && error.code === 'POLICY_STATE_CORRUPT',
    );
    assert.equal(asked, false);
  });
});
