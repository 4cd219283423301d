import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ECC_QUOTE, RSA_QUOTE } from './quote-fixtures.ts';
import { TPM_ALG } from './tpm-algorithms.ts';
import { parseTpm2bPublic } from './tpm-public.ts';
import { parseTpmtSignature, verifyTpmSignature } from './tpm-signature.ts';
import {
  AK_ATTRIBUTES,
  concat,
  flipBit,
  hex,
  tpm2b,
  tpmPublicOf,
  tpmSignature,
  u16,
} from './tpm-test-encoders.ts';

const eccAk = parseTpm2bPublic(hex(ECC_QUOTE.akPublic));
const rsaAk = parseTpm2bPublic(hex(RSA_QUOTE.akPublic));
const message = hex(ECC_QUOTE.message);

describe('parseTpmtSignature', () => {
  it('decodes an ECDSA signature from tpm2_quote -s into r and s', () => {
    const signature = parseTpmtSignature(hex(ECC_QUOTE.signature));
    assert.equal(signature.sigAlg, 'ecdsa');
    assert.equal(signature.hashAlg, TPM_ALG.SHA256);
    if (signature.sigAlg === 'ecdsa') assert.equal(signature.r.length + signature.s.length, 64);
  });

  it('decodes an RSASSA signature as long as the modulus', () => {
    const signature = parseTpmtSignature(hex(RSA_QUOTE.signature));
    assert.equal(signature.sigAlg, 'rsassa');
    if ('signature' in signature) assert.equal(signature.signature.length, 256);
  });

  it('refuses TPM_ALG_NULL as an unsigned quote', () => {
    assert.throws(() => parseTpmtSignature(u16(TPM_ALG.NULL)), {
      code: 'QUOTE_SIGNATURE_INVALID',
      message: /unsigned/,
    });
  });

  it('refuses ECDAA, SM2, EC-Schnorr and HMAC as unsupported, unknown selectors as malformed', () => {
    for (const alg of [TPM_ALG.ECDAA, TPM_ALG.SM2, TPM_ALG.ECSCHNORR, TPM_ALG.HMAC])
      assert.throws(() => parseTpmtSignature(concat(u16(alg), u16(TPM_ALG.SHA256))), {
        code: 'QUOTE_UNSUPPORTED_ALGORITHM',
      });
    assert.throws(() => parseTpmtSignature(concat(u16(0x7777), u16(TPM_ALG.SHA256))), {
      code: 'QUOTE_MALFORMED',
    });
  });

  it('refuses r longer than P-521 and trailing bytes', () => {
    const longR = concat(
      u16(TPM_ALG.ECDSA),
      u16(TPM_ALG.SHA256),
      tpm2b(new Uint8Array(67)),
      tpm2b(new Uint8Array(1)),
    );
    assert.throws(() => parseTpmtSignature(longR), {
      code: 'QUOTE_MALFORMED',
      message: /signatureR is 67 bytes/,
    });
    assert.throws(() => parseTpmtSignature(concat(hex(ECC_QUOTE.signature), Uint8Array.of(0))), {
      code: 'QUOTE_MALFORMED',
      message: /trailing/,
    });
  });
});

describe('verifyTpmSignature', () => {
  it('verifies the ECDSA and RSASSA quotes with their AKs and returns the signing hash', () => {
    assert.equal(verifyTpmSignature(eccAk, parseTpmtSignature(hex(ECC_QUOTE.signature)), message), 'sha256');
    assert.equal(
      verifyTpmSignature(rsaAk, parseTpmtSignature(hex(RSA_QUOTE.signature)), hex(RSA_QUOTE.message)),
      'sha256',
    );
  });

  it('refuses a signature over other bytes', () => {
    const signature = parseTpmtSignature(hex(ECC_QUOTE.signature));
    assert.throws(() => verifyTpmSignature(eccAk, signature, flipBit(message, 100)), {
      code: 'QUOTE_SIGNATURE_INVALID',
      message: /does not verify/,
    });
  });

  it('refuses an ECDSA signature checked with an RSA key', () => {
    assert.throws(() => verifyTpmSignature(rsaAk, parseTpmtSignature(hex(ECC_QUOTE.signature)), message), {
      code: 'QUOTE_SIGNATURE_INVALID',
      message: /cannot come from an RSA key/,
    });
  });

  it("refuses a hash other than the key's fixed scheme, and SHA-1 outright", () => {
    const asSha384 = parseTpmtSignature(
      concat(u16(TPM_ALG.ECDSA), u16(TPM_ALG.SHA384), hex(ECC_QUOTE.signature).subarray(4)),
    );
    assert.throws(() => verifyTpmSignature(eccAk, asSha384, message), {
      code: 'QUOTE_SIGNATURE_INVALID',
      message: /scheme is 0x0018\/0x000b/,
    });
    const asSha1 = parseTpmtSignature(
      concat(u16(TPM_ALG.ECDSA), u16(TPM_ALG.SHA1), hex(ECC_QUOTE.signature).subarray(4)),
    );
    assert.throws(() => verifyTpmSignature(eccAk, asSha1, message), { code: 'QUOTE_UNSUPPORTED_ALGORITHM' });
  });

  it('refuses an RSA signature shorter than the modulus', () => {
    const short = parseTpmtSignature(
      concat(u16(TPM_ALG.RSASSA), u16(TPM_ALG.SHA256), tpm2b(new Uint8Array(255))),
    );
    assert.throws(() => verifyTpmSignature(rsaAk, short, message), {
      code: 'QUOTE_SIGNATURE_INVALID',
      message: /255 bytes, the modulus 256/,
    });
  });

  it('verifies RSAPSS when the key leaves the scheme open', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = parseTpm2bPublic(tpmPublicOf(publicKey, { attributes: AK_ATTRIBUTES, scheme: null }));
    const signature = parseTpmtSignature(tpmSignature(privateKey, message, 'rsapss'));
    assert.equal(signature.sigAlg, 'rsapss');
    assert.equal(verifyTpmSignature(key, signature, message), 'sha256');
    assert.throws(() => verifyTpmSignature(key, signature, flipBit(message, 3)), {
      code: 'QUOTE_SIGNATURE_INVALID',
    });
  });

  it('pads short r and s (a TPM may drop leading zero bytes)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = parseTpm2bPublic(tpmPublicOf(publicKey, { attributes: AK_ATTRIBUTES }));
    // Sign until r starts with a zero byte, then send it trimmed.
    for (let attempt = 0; attempt < 2000; attempt += 1) {
      const full = tpmSignature(privateKey, message);
      if (full[6] !== 0) continue;
      const r = full.subarray(6, 38);
      const s = full.subarray(40);
      const trimmed = concat(full.subarray(0, 4), tpm2b(r.subarray(1)), tpm2b(s));
      assert.equal(verifyTpmSignature(key, parseTpmtSignature(trimmed), message), 'sha256');
      return;
    }
    assert.fail('no signature with a leading zero in 2000 attempts');
  });
});
