import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AK_ECC_NAME,
  AK_RSA_NAME,
  ECC_QUOTE,
  EK_ECC_PUBLIC,
  EK_RSA_PUBLIC,
  RSA_QUOTE,
} from './quote-fixtures.ts';
import { TPM_ALG } from './tpm-algorithms.ts';
import { parseTpm2bPublic, tpmName } from './tpm-public.ts';
import { tpmPublicKeyObject } from './tpm-public-key.ts';
import { AK_ATTRIBUTES, concat, hex, tpm2b, tpmPublicOf, u16 } from './tpm-test-encoders.ts';

const EK_POLICY = '837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa';

/** The TPMT_PUBLIC inside a TPM2B_PUBLIC, to edit and re-wrap. */
const area = (tpm2bPublic: string): Uint8Array => hex(tpm2bPublic).slice(2);
const withByte = (bytes: Uint8Array, index: number, value: number): Uint8Array => {
  const out = bytes.slice();
  out[index] = value;
  return out;
};

describe('parseTpm2bPublic', () => {
  it('decodes the ECC AK tpm2_createak made: attributes, ECDSA-SHA256 scheme, P-256 point', () => {
    const ak = parseTpm2bPublic(hex(ECC_QUOTE.akPublic));
    assert.equal(ak.type, 'ecc');
    assert.equal(ak.nameAlg, TPM_ALG.SHA256);
    assert.deepEqual(ak.objectAttributes, {
      fixedTPM: true,
      stClear: false,
      fixedParent: true,
      sensitiveDataOrigin: true,
      userWithAuth: true,
      adminWithPolicy: false,
      noDA: false,
      encryptedDuplication: false,
      restricted: true,
      decrypt: false,
      sign: true,
      x509sign: false,
    });
    assert.equal(ak.authPolicy.length, 0);
    if (ak.type !== 'ecc') return;
    assert.deepEqual(ak.parameters, {
      symmetric: null,
      scheme: { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 },
      curveId: 3,
      kdf: null,
    });
    assert.equal(ak.unique.x.length, 32);
    assert.equal(ak.unique.y.length, 32);
  });

  it('decodes the RSA EK: restricted decryption, AES-128-CFB, 2048 bits, default exponent, EK policy', () => {
    const ek = parseTpm2bPublic(hex(EK_RSA_PUBLIC));
    assert.equal(ek.type, 'rsa');
    assert.equal(Buffer.from(ek.authPolicy).toString('hex'), EK_POLICY);
    assert.equal(ek.objectAttributes.restricted && ek.objectAttributes.decrypt, true);
    assert.equal(ek.objectAttributes.sign, false);
    assert.equal(ek.objectAttributes.adminWithPolicy, true);
    assert.equal(ek.objectAttributes.userWithAuth, false);
    if (ek.type !== 'rsa') return;
    assert.deepEqual(ek.parameters, {
      symmetric: { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
      scheme: null,
      keyBits: 2048,
      exponent: 65537,
    });
    assert.equal(ek.unique.modulus.length, 256);
  });

  it('decodes the ECC EK', () => {
    const ek = parseTpm2bPublic(hex(EK_ECC_PUBLIC));
    assert.equal(ek.type, 'ecc');
    assert.equal(ek.objectAttributes.restricted && ek.objectAttributes.decrypt, true);
  });

  it('decodes an RSASSA AK scheme with its hash', () => {
    const ak = parseTpm2bPublic(hex(RSA_QUOTE.akPublic));
    assert.deepEqual(ak.parameters.scheme, { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 });
  });

  it('refuses trailing bytes after the TPMT_PUBLIC and a size that overruns the buffer', () => {
    const bytes = hex(ECC_QUOTE.akPublic);
    assert.throws(() => parseTpm2bPublic(concat(bytes, Uint8Array.of(0))), {
      code: 'QUOTE_MALFORMED',
      details: { structure: 'TPM2B_PUBLIC', offset: bytes.length },
    });
    assert.throws(() => parseTpm2bPublic(tpm2b(concat(area(ECC_QUOTE.akPublic), Uint8Array.of(0)))), {
      code: 'QUOTE_MALFORMED',
      details: { structure: 'TPMT_PUBLIC', offset: bytes.length - 2 },
    });
    assert.throws(() => parseTpm2bPublic(bytes.subarray(0, bytes.length - 1)), {
      name: 'QuoteError',
      code: 'QUOTE_MALFORMED',
      message: /truncated at publicArea/,
    });
  });

  it('refuses reserved objectAttributes bits (Part 2 TPMA_OBJECT)', () => {
    // objectAttributes is bytes 4–7 of the TPMT_PUBLIC; bit 31 is reserved.
    const bad = withByte(area(ECC_QUOTE.akPublic), 4, 0x80);
    assert.throws(() => parseTpm2bPublic(tpm2b(bad)), { code: 'QUOTE_MALFORMED', message: /reserved bits/ });
  });

  it('refuses key types other than RSA and ECC, and unknown nameAlgs, as unsupported', () => {
    const keyedHash = concat(u16(TPM_ALG.KEYEDHASH), area(ECC_QUOTE.akPublic).subarray(2));
    assert.throws(() => parseTpm2bPublic(tpm2b(keyedHash)), { code: 'QUOTE_UNSUPPORTED_ALGORITHM' });
    const sm3 = withByte(area(ECC_QUOTE.akPublic), 3, TPM_ALG.SM3_256);
    assert.throws(() => parseTpm2bPublic(tpm2b(sm3)), {
      code: 'QUOTE_UNSUPPORTED_ALGORITHM',
      message: /nameAlg/,
    });
  });

  it('refuses an RSA modulus whose length disagrees with keyBits', () => {
    const ek = area(EK_RSA_PUBLIC);
    // keyBits follows type, nameAlg, attributes (8), the sized 32-byte policy (34), symmetric (6) and scheme (2).
    const claims3072 = withByte(ek, 50, 0x0c);
    assert.throws(() => parseTpm2bPublic(tpm2b(claims3072)), {
      code: 'QUOTE_MALFORMED',
      message: /keyBits says 384/,
    });
  });

  it('refuses a scheme selector the key type does not allow', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsassaOnEcc = tpmPublicOf(publicKey, {
      attributes: AK_ATTRIBUTES,
      scheme: [TPM_ALG.RSASSA, TPM_ALG.SHA256],
    });
    assert.throws(() => parseTpm2bPublic(rsassaOnEcc), { code: 'QUOTE_MALFORMED', message: /scheme 0x0014/ });
  });

  it('refuses input over the size limit before reading it', () => {
    assert.throws(() => parseTpm2bPublic(new Uint8Array(5000)), {
      code: 'QUOTE_MALFORMED',
      message: /limit/,
    });
  });
});

describe('tpmName', () => {
  it('is what tpm2_createak -n printed, for the ECC and the RSA AK', () => {
    assert.equal(
      Buffer.from(tpmName(parseTpm2bPublic(hex(ECC_QUOTE.akPublic)))).toString('hex'),
      AK_ECC_NAME,
    );
    assert.equal(
      Buffer.from(tpmName(parseTpm2bPublic(hex(RSA_QUOTE.akPublic)))).toString('hex'),
      AK_RSA_NAME,
    );
  });
});

describe('tpmPublicKeyObject', () => {
  it('builds a P-256 key with the same point', () => {
    const ak = parseTpm2bPublic(hex(ECC_QUOTE.akPublic));
    const key = tpmPublicKeyObject(ak);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const jwk = key.export({ format: 'jwk' });
    assert.equal(jwk.x, ak.type === 'ecc' ? Buffer.from(ak.unique.x).toString('base64url') : '');
  });

  it('builds an RSA key with exponent 65537 from the zero in the structure', () => {
    const key = tpmPublicKeyObject(parseTpm2bPublic(hex(EK_RSA_PUBLIC)));
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(key.asymmetricKeyDetails?.publicExponent, 65537n);
  });

  it('round-trips node:crypto keys of every supported curve and RSA size', () => {
    for (const namedCurve of ['P-256', 'P-384', 'P-521']) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve });
      const key = tpmPublicKeyObject(parseTpm2bPublic(tpmPublicOf(publicKey, { attributes: AK_ATTRIBUTES })));
      assert.deepEqual(key.export({ format: 'jwk' }), publicKey.export({ format: 'jwk' }));
    }
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const key = tpmPublicKeyObject(parseTpm2bPublic(tpmPublicOf(publicKey, { attributes: AK_ATTRIBUTES })));
    assert.deepEqual(key.export({ format: 'jwk' }), publicKey.export({ format: 'jwk' }));
  });

  it('refuses a point that is not on the curve', () => {
    const ak = area(ECC_QUOTE.akPublic);
    const offCurve = withByte(ak, ak.length - 1, (ak[ak.length - 1] ?? 0) ^ 1);
    assert.throws(() => tpmPublicKeyObject(parseTpm2bPublic(tpm2b(offCurve))), {
      code: 'QUOTE_MALFORMED',
      message: /point on the curve/,
    });
  });

  it('refuses curves outside P-256/384/521 and RSA under 2048 bits as unsupported', () => {
    const ak = area(ECC_QUOTE.akPublic);
    // curveID follows type, nameAlg, attributes, empty policy (2), symmetric (2), scheme (4): offset 16.
    const bnP256 = withByte(withByte(ak, 16, 0x00), 17, 0x10);
    assert.throws(() => tpmPublicKeyObject(parseTpm2bPublic(tpm2b(bnP256))), {
      code: 'QUOTE_UNSUPPORTED_ALGORITHM',
      message: /curve 0x10/,
    });
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsa1024 = parseTpm2bPublic(tpmPublicOf(publicKey, { attributes: AK_ATTRIBUTES }));
    assert.throws(() => tpmPublicKeyObject(rsa1024), {
      code: 'QUOTE_UNSUPPORTED_ALGORITHM',
      message: /RSA-1024/,
    });
  });
});
