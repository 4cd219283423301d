import assert from 'node:assert/strict';
import {
  constants,
  createDecipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  timingSafeEqual,
} from 'node:crypto';
import { describe, it } from 'node:test';
import { type Credential, makeCredential, TPM2_TOOLS_CREDENTIAL_MAGIC } from './make-credential.ts';
import { AK_ECC_NAME, AK_RSA_NAME, ECC_QUOTE, EK_ECC_PUBLIC, EK_RSA_PUBLIC } from './quote-fixtures.ts';
import { TPM_ALG } from './tpm-algorithms.ts';
import { cString, kdfa, kdfe } from './tpm-kdf.ts';
import { parseTpm2bPublic, type TpmPublic } from './tpm-public.ts';
import { TpmReader } from './tpm-reader.ts';
import { EK_ATTRIBUTES, hex, tpmPublicOf } from './tpm-test-encoders.ts';

const SECRET = new Uint8Array(Buffer.from('palisade-enrolment-challenge-32b'));
const EMPTY = new Uint8Array();

/**
 * TPM2_ActivateCredential's computation (Part 1 §24; Part 3 TPM2_ActivateCredential) with the
 * EK private key the test holds. It proves the blob is self-consistent; the
 * end-to-end test proves a real TPM agrees (tpm2_activatecredential).
 */
function activate(
  ekPrivate: KeyObject,
  ek: TpmPublic,
  akName: Uint8Array,
  credential: Credential,
): Uint8Array {
  let seed: Uint8Array;
  if (ek.type === 'rsa') {
    const oaep = { key: ekPrivate, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    seed = privateDecrypt({ ...oaep, oaepLabel: cString('IDENTITY') }, credential.encryptedSecret);
  } else {
    const point = new TpmReader(credential.encryptedSecret, 'TPM2B_NAME');
    const x = point.sized('x', 66);
    const y = point.sized('y', 66);
    point.end();
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(x).toString('base64url'),
      y: Buffer.from(y).toString('base64url'),
    };
    const z = diffieHellman({
      privateKey: ekPrivate,
      publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
    });
    seed = kdfe('sha256', z, 'IDENTITY', x, ek.unique.x, 256);
  }
  const blob = new TpmReader(credential.credentialBlob, 'TPM2B_NAME');
  const integrity = blob.sized('integrityHMAC', 64);
  const encIdentity = blob.bytes(blob.remaining, 'encIdentity');
  const hmacKey = kdfa('sha256', seed, 'INTEGRITY', EMPTY, EMPTY, 256);
  const expected = createHmac('sha256', hmacKey).update(encIdentity).update(akName).digest();
  if (!timingSafeEqual(expected, integrity)) throw new Error('TPM_RC_INTEGRITY');
  const symKey = kdfa('sha256', seed, 'STORAGE', akName, EMPTY, 128);
  const decipher = createDecipheriv('aes-128-cfb', symKey, Buffer.alloc(16));
  const plain = new TpmReader(
    new Uint8Array(Buffer.concat([decipher.update(encIdentity), decipher.final()])),
    'TPM2B_NAME',
  );
  const secret = plain.sized('credential', 64);
  plain.end();
  return secret;
}

function testEk(kind: 'rsa' | 'ecc') {
  const { publicKey, privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ekPublic = tpmPublicOf(publicKey, { attributes: EK_ATTRIBUTES });
  return { privateKey, ekPublic, ek: parseTpm2bPublic(ekPublic) };
}

describe('makeCredential', () => {
  for (const kind of ['rsa', 'ecc'] as const) {
    it(`makes a credential only the ${kind.toUpperCase()} EK holder can open, for that AK name only`, () => {
      const { privateKey, ekPublic, ek } = testEk(kind);
      const akName = hex(AK_ECC_NAME);
      const credential = makeCredential({ ekPublic, akName, secret: SECRET });
      assert.deepEqual(activate(privateKey, ek, akName, credential), SECRET);
      assert.throws(() => activate(privateKey, ek, hex(AK_RSA_NAME), credential), /TPM_RC_INTEGRITY/);
    });
  }

  it('draws a fresh seed each time', () => {
    const first = makeCredential({ ekPublic: hex(EK_ECC_PUBLIC), akName: hex(AK_ECC_NAME), secret: SECRET });
    const second = makeCredential({ ekPublic: hex(EK_ECC_PUBLIC), akName: hex(AK_ECC_NAME), secret: SECRET });
    assert.notDeepEqual(first.encryptedSecret, second.encryptedSecret);
    assert.notDeepEqual(first.credentialBlob, second.credentialBlob);
  });

  it('writes the file tpm2_activatecredential -i reads: 0xBADCC0DE, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET', () => {
    for (const [ekPublic, secretSize] of [
      [EK_RSA_PUBLIC, 256],
      [EK_ECC_PUBLIC, 2 + 32 + 2 + 32],
    ] as const) {
      const credential = makeCredential({
        ekPublic: hex(ekPublic),
        akName: hex(AK_ECC_NAME),
        secret: SECRET,
      });
      const file = new TpmReader(credential.tpm2ToolsFile, 'TPM2B_NAME');
      assert.equal(file.u32('magic'), TPM2_TOOLS_CREDENTIAL_MAGIC);
      assert.equal(file.u32('version'), 1);
      assert.deepEqual(file.sized('credentialBlob', 1024), credential.credentialBlob);
      assert.deepEqual(file.sized('secret', 1024), credential.encryptedSecret);
      file.end();
      assert.equal(credential.encryptedSecret.length, secretSize);
      // TPM2B_DIGEST(HMAC-SHA-256) + AES-CFB(TPM2B_DIGEST(secret)): 2 + 32 + 2 + 32.
      assert.equal(credential.credentialBlob.length, 68);
    }
  });

  it('refuses a secret that is empty or longer than the EK nameAlg digest', () => {
    for (const secret of [EMPTY, new Uint8Array(33)]) {
      assert.throws(
        () => makeCredential({ ekPublic: hex(EK_RSA_PUBLIC), akName: hex(AK_ECC_NAME), secret }),
        {
          name: 'QuoteError',
          code: 'CREDENTIAL_INPUT_INVALID',
          message: /1…32/,
        },
      );
    }
  });

  it('refuses an AK name that is not an algorithm id and its digest', () => {
    for (const akName of [hex('000b00'), hex(`0004${'00'.repeat(32)}`), hex('81010002'), EMPTY]) {
      assert.throws(() => makeCredential({ ekPublic: hex(EK_RSA_PUBLIC), akName, secret: SECRET }), {
        code: 'CREDENTIAL_INPUT_INVALID',
      });
    }
  });

  it('refuses a signing key or a non-AES-CFB key as the EK', () => {
    assert.throws(
      () => makeCredential({ ekPublic: hex(ECC_QUOTE.akPublic), akName: hex(AK_ECC_NAME), secret: SECRET }),
      {
        code: 'CREDENTIAL_EK_UNSUPPORTED',
        message: /storage/,
      },
    );
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ofb = tpmPublicOf(publicKey, { attributes: EK_ATTRIBUTES, symmetric: [TPM_ALG.AES, 128, 0x0042] });
    assert.throws(() => makeCredential({ ekPublic: ofb, akName: hex(AK_ECC_NAME), secret: SECRET }), {
      code: 'CREDENTIAL_EK_UNSUPPORTED',
      message: /AES-CFB/,
    });
  });
});
