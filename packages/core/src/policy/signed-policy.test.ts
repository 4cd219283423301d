import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../encoding/canonical-json.ts';
import { PolicyError } from './policy-error.ts';
import { EXAMPLE_DOCUMENTS, policyRefusalOf, refusedPointers } from './policy-fixtures.ts';
import {
  policyKeyId,
  policyPayloadDigest,
  policySignerFromKey,
  policyTrust,
  signedPolicyBytes,
  signPolicyPayload,
} from './policy-signing.ts';
import type { PolicySigner, PolicyTrust, SignedPolicy } from './signed-policy.ts';
import { verifySignedPolicy } from './verify-signed-policy.ts';

const ecdsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const mlDsa = generateKeyPairSync('ml-dsa-65');
const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ECDSA = policySignerFromKey(ecdsa.privateKey);
const ML_DSA = policySignerFromKey(mlDsa.privateKey);
const HYBRID = policyTrust([ecdsa.publicKey, mlDsa.publicKey], ['ecdsa-p256-sha256', 'ml-dsa-65']);
const ANY = policyTrust([ecdsa.publicKey, mlDsa.publicKey]);

const PAYLOAD = {
  kind: 'firewall',
  policyId: '0196a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b',
  name: 'Cell controllers',
  version: 3,
  publishedAt: '2026-03-01T13:00:00+01:00',
  document: EXAMPLE_DOCUMENTS.firewall,
} as const;

/** A JSON round trip, as the envelope travels, so tests can edit it freely. */
function copy(envelope: SignedPolicy): {
  payload: Record<string, unknown>;
  signatures: Record<string, unknown>[];
} {
  return JSON.parse(JSON.stringify(envelope));
}

async function signed(signers: readonly PolicySigner[] = [ECDSA, ML_DSA]): Promise<SignedPolicy> {
  return signPolicyPayload(PAYLOAD, signers);
}

/** An envelope over an arbitrary payload, signed without parsing it (a compromised or buggy signer). */
function signedAsIs(payload: unknown, key: KeyObject = ecdsa.privateKey): unknown {
  const signature = sign('sha256', signedPolicyBytes(payload), { key, dsaEncoding: 'ieee-p1363' });
  return {
    payload,
    signatures: [{ keyId: ECDSA.keyId, algorithm: ECDSA.algorithm, signature: signature.toString('base64') }],
  };
}

describe('signPolicyPayload', () => {
  it('signs the parsed payload: normalized, so verifiers parse exactly what was signed', async () => {
    const envelope = await signed();
    assert.equal(envelope.payload.publishedAt, '2026-03-01T12:00:00.000Z');
    assert.deepEqual(envelope.payload.kind === 'firewall' && envelope.payload.document.rules[0]?.ports, [
      { from: 53, to: 53 },
    ]);
    assert.deepEqual(
      envelope.signatures.map((s) => s.algorithm),
      ['ecdsa-p256-sha256', 'ml-dsa-65'],
    );
  });

  it('produces ECDSA signatures in IEEE P1363 form that WebCrypto verifies (interoperability with key stores)', async () => {
    const envelope = await signed([ECDSA]);
    const signature = Buffer.from(envelope.signatures[0]?.signature ?? '', 'base64');
    assert.equal(signature.length, 64);
    const key = await webcrypto.subtle.importKey(
      'spki',
      ecdsa.publicKey.export({ type: 'spki', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const bytes = Buffer.from(canonicalJson(envelope.payload), 'utf8');
    assert.equal(
      await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, bytes),
      true,
    );
  });

  it('refuses an invalid payload, naming its problems, before signing anything', async () => {
    let signedBytes = 0;
    const counting: PolicySigner = {
      ...ECDSA,
      sign: async (bytes) => {
        signedBytes += bytes.length;
        return ECDSA.sign(bytes);
      },
    };
    const payload = { ...PAYLOAD, version: 0, document: { ...PAYLOAD.document, logDrops: 'yes' } };
    await assert.rejects(signPolicyPayload(payload, [counting]), (error: unknown) => {
      assert.ok(error instanceof PolicyError && error.code === 'POLICY_INVALID');
      assert.deepEqual(
        error.problems.map((p) => p.path),
        ['/version', '/document/logDrops'],
      );
      return true;
    });
    assert.equal(signedBytes, 0);
  });

  it('refuses no signers, shared key IDs and signatures of the wrong size', async () => {
    await assert.rejects(signPolicyPayload(PAYLOAD, []), { code: 'POLICY_UNSIGNED' });
    await assert.rejects(signPolicyPayload(PAYLOAD, [ECDSA, ECDSA]), { code: 'POLICY_KEY_INVALID' });
    const der: PolicySigner = { ...ECDSA, sign: async (bytes) => sign('sha256', bytes, ecdsa.privateKey) };
    await assert.rejects(signPolicyPayload(PAYLOAD, [der]), { code: 'POLICY_KEY_INVALID' });
    assert.throws(() => policySignerFromKey(generateKeyPairSync('ed25519').privateKey), {
      code: 'POLICY_KEY_INVALID',
    });
  });
});

describe('policyKeyId', () => {
  it('is the hex SHA-256 of the DER SubjectPublicKeyInfo, as the PEM carries it', () => {
    const pem = ecdsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    assert.equal(policyKeyId(ecdsa.publicKey), createHash('sha256').update(der).digest('hex'));
    assert.equal(ECDSA.keyId, policyKeyId(ecdsa.publicKey));
  });
});

describe('verifySignedPolicy', () => {
  it('returns the parsed payload, its digest and the signers of a hybrid-signed envelope', async () => {
    const envelope = await signed();
    const verified = verifySignedPolicy(copy(envelope), HYBRID, undefined, 'firewall');
    assert.deepEqual(verified.payload, envelope.payload);
    assert.equal(verified.payloadDigest, policyPayloadDigest(envelope.payload));
    assert.deepEqual(verified.signers, [
      { keyId: ECDSA.keyId, algorithm: 'ecdsa-p256-sha256' },
      { keyId: ML_DSA.keyId, algorithm: 'ml-dsa-65' },
    ]);
    assert.equal(verified.redelivered, false);
  });

  it('refuses a payload changed in any byte after signing', async () => {
    const envelope = await signed();
    const edits: ((payload: Record<string, unknown>) => void)[] = [
      (p) => {
        (p.document as { rules: { comment?: string }[] }).rules[0] = {
          ...(p.document as { rules: object[] }).rules[0],
          comment: 'DNT',
        };
      },
      (p) => {
        p.version = 4;
      },
      (p) => {
        p.name = 'Cell controllers ';
      },
      (p) => {
        p.kind = 'crypto';
      },
      (p) => {
        p.extra = true;
      },
    ];
    for (const edit of edits) {
      const tampered = copy(envelope);
      edit(tampered.payload);
      assert.deepEqual(
        refusedPointers(() => verifySignedPolicy(tampered, ANY), 'POLICY_SIGNATURE_INVALID'),
        ['/signatures/0/signature'],
      );
    }
  });

  it('refuses an envelope whose text differs from the signed text in one character (fast-check)', async () => {
    const envelope = await signed([ECDSA]);
    const text = canonicalJson(envelope.payload);
    // Swapping one letter or digit for another keeps the JSON valid and changes what it says.
    const positions = [...text].flatMap((char, i) => (/[a-z0-9]/i.test(char) ? [i] : []));
    fc.assert(
      fc.property(fc.constantFrom(...positions), fc.constantFrom('a', 'Z', '7'), (at, char) => {
        if (text[at] === char) return;
        const edited = `${text.slice(0, at)}${char}${text.slice(at + 1)}`;
        let payload: unknown;
        try {
          payload = JSON.parse(edited);
        } catch {
          return;
        }
        policyRefusalOf(
          () => verifySignedPolicy({ ...copy(envelope), payload }, ANY),
          'POLICY_SIGNATURE_INVALID',
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a damaged signature by a trusted key even when another trusted signature verifies', async () => {
    const envelope = copy(await signed());
    const mlDsaSignature = envelope.signatures[1];
    assert.ok(mlDsaSignature);
    const bytes = Buffer.from(String(mlDsaSignature.signature), 'base64');
    bytes[100] = (bytes[100] ?? 0) ^ 1;
    mlDsaSignature.signature = bytes.toString('base64');
    assert.deepEqual(
      refusedPointers(() => verifySignedPolicy(envelope, ANY), 'POLICY_SIGNATURE_INVALID'),
      ['/signatures/1/signature'],
    );
  });

  it('refuses a signature claiming another algorithm than its key is trusted for', async () => {
    const envelope = copy(await signed([ECDSA]));
    const only = envelope.signatures[0];
    assert.ok(only);
    only.algorithm = 'ml-dsa-65';
    assert.deepEqual(
      refusedPointers(() => verifySignedPolicy(envelope, ANY), 'POLICY_SIGNATURE_INVALID'),
      ['/signatures/0/algorithm'],
    );
  });

  it('refuses an envelope without signatures as POLICY_UNSIGNED', async () => {
    const envelope = copy(await signed());
    envelope.signatures = [];
    policyRefusalOf(() => verifySignedPolicy(envelope, ANY), 'POLICY_UNSIGNED');
  });

  it('refuses an envelope signed only by a foreign key as POLICY_SIGNER_UNKNOWN', async () => {
    const envelope = await signed([policySignerFromKey(foreign.privateKey)]);
    policyRefusalOf(() => verifySignedPolicy(copy(envelope), ANY), 'POLICY_SIGNER_UNKNOWN');
  });

  it('ignores a foreign signature beside a trusted one (a key being rolled out)', async () => {
    const envelope = await signed([policySignerFromKey(foreign.privateKey), ECDSA]);
    assert.deepEqual(verifySignedPolicy(copy(envelope), ANY).signers, [
      { keyId: ECDSA.keyId, algorithm: 'ecdsa-p256-sha256' },
    ]);
  });

  it('requires a valid trusted signature of each required algorithm (hybrid)', async () => {
    for (const signers of [
      [ECDSA],
      [ML_DSA],
      [ECDSA, policySignerFromKey(generateKeyPairSync('ml-dsa-65').privateKey)],
    ]) {
      const envelope = await signed(signers);
      assert.deepEqual(
        refusedPointers(() => verifySignedPolicy(copy(envelope), HYBRID), 'POLICY_UNSIGNED'),
        ['/signatures'],
      );
      assert.doesNotThrow(() =>
        verifySignedPolicy(copy(envelope), policyTrust([ecdsa.publicKey, mlDsa.publicKey])),
      );
    }
  });

  it('refuses a policy of another kind than the caller expects', async () => {
    const envelope = await signed();
    assert.deepEqual(
      refusedPointers(
        () => verifySignedPolicy(copy(envelope), ANY, undefined, 'crypto'),
        'POLICY_KIND_MISMATCH',
      ),
      ['/payload/kind'],
    );
  });

  it('refuses older versions and other content under an accepted version, and accepts a re-delivery', async () => {
    const envelope = await signed();
    const digest = policyPayloadDigest(envelope.payload);
    const verify = (previous: Parameters<typeof verifySignedPolicy>[2]) =>
      verifySignedPolicy(copy(envelope), ANY, previous);
    policyRefusalOf(() => verify({ version: 4 }), 'POLICY_VERSION_REPLAYED');
    policyRefusalOf(() => verify({ version: 3 }), 'POLICY_VERSION_REPLAYED');
    policyRefusalOf(() => verify({ version: 3, payloadDigest: '0'.repeat(64) }), 'POLICY_VERSION_REPLAYED');
    assert.equal(verify({ version: 3, payloadDigest: digest }).redelivered, true);
    assert.equal(verify({ version: 2 }).redelivered, false);
    assert.equal(
      verify((policyId) => (policyId === PAYLOAD.policyId ? { version: 2 } : undefined)).payload.version,
      3,
    );
    policyRefusalOf(
      () => verify((policyId) => (policyId === PAYLOAD.policyId ? { version: 9 } : undefined)),
      'POLICY_VERSION_REPLAYED',
    );
  });

  it('checks the payload only after the signatures, and names its problems under /payload', () => {
    const invalid = {
      ...PAYLOAD,
      publishedAt: 'yesterday',
      document: { ...PAYLOAD.document, defaultIngress: 'maybe' },
    };
    assert.deepEqual(
      refusedPointers(() => verifySignedPolicy(signedAsIs(invalid), ANY)),
      ['/payload/publishedAt', '/payload/document/defaultIngress'],
    );
    policyRefusalOf(
      () => verifySignedPolicy(signedAsIs({ ...PAYLOAD, kind: 'vpn' }), ANY),
      'POLICY_KIND_UNKNOWN',
    );
    const unsignedInvalid = { ...(signedAsIs(invalid) as object), payload: { ...invalid, name: 'x' } };
    policyRefusalOf(() => verifySignedPolicy(unsignedInvalid, ANY), 'POLICY_SIGNATURE_INVALID');
  });

  it('names every problem of a malformed envelope', async () => {
    const envelope = copy(await signed());
    const [first, second] = envelope.signatures;
    assert.ok(first && second);
    const malformed = {
      payload: envelope.payload,
      signatures: [first, { ...first }, { ...second, keyId: 'ABC', signature: '***' }, { algorithm: 'rsa' }],
      note: 1,
    };
    assert.deepEqual(
      refusedPointers(() => verifySignedPolicy(malformed, ANY)),
      [
        '/note',
        '/signatures/2/keyId',
        '/signatures/2/signature',
        '/signatures/3/keyId',
        '/signatures/3/algorithm',
        '/signatures/3/signature',
        '/signatures/1/keyId',
      ],
    );
    policyRefusalOf(() => verifySignedPolicy('not an envelope', ANY));
  });

  it('refuses a trust entry whose key does not match its ID or algorithm as POLICY_KEY_INVALID', async () => {
    const envelope = await signed([ECDSA]);
    const wrongKey: PolicyTrust = {
      keys: new Map([[ECDSA.keyId, { algorithm: 'ecdsa-p256-sha256', publicKey: foreign.publicKey }]]),
    };
    policyRefusalOf(() => verifySignedPolicy(copy(envelope), wrongKey), 'POLICY_KEY_INVALID');
    const wrongAlgorithm: PolicyTrust = {
      keys: new Map([[ECDSA.keyId, { algorithm: 'ml-dsa-65', publicKey: ecdsa.publicKey }]]),
    };
    policyRefusalOf(() => verifySignedPolicy(copy(envelope), wrongAlgorithm), 'POLICY_KEY_INVALID');
  });

  it('never throws anything but a PolicyError, whatever JSON it is given', async () => {
    const envelope = copy(await signed([ECDSA]));
    const input = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ payload: fc.jsonValue({ maxDepth: 3 }), signatures: fc.constant(envelope.signatures) }),
      fc.record({ payload: fc.constant(envelope.payload), signatures: fc.jsonValue({ maxDepth: 3 }) }),
    );
    fc.assert(
      fc.property(input, (value) => {
        try {
          verifySignedPolicy(value, ANY);
        } catch (error) {
          assert.ok(error instanceof PolicyError, String(error));
        }
      }),
      { numRuns: 500 },
    );
  });
});
