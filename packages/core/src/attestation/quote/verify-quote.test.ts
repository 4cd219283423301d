import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AK_ECC_NAME,
  ECC_QUOTE,
  PCR16_VALUE,
  QUOTE_NONCE,
  QUOTE_SELECTION,
  RSA_QUOTE,
  UNRESTRICTED_QUOTE,
} from './quote-fixtures.ts';
import { TPM_ALG } from './tpm-algorithms.ts';
import { parseTpm2bPublic } from './tpm-public.ts';
import {
  AK_ATTRIBUTES,
  flipBit,
  hex,
  quoteAttest,
  tpm2b,
  tpmPublicOf,
  tpmSignature,
} from './tpm-test-encoders.ts';
import { type VerifyQuoteInput, verifyQuote } from './verify-quote.ts';

const ZERO = '00'.repeat(32);

function input(
  quote: { akPublic: string; message: string; signature: string; pcrValues: string },
  overrides: Partial<VerifyQuoteInput> = {},
): VerifyQuoteInput {
  return {
    akPublic: hex(quote.akPublic),
    message: hex(quote.message),
    signature: hex(quote.signature),
    nonce: hex(QUOTE_NONCE),
    pcrValues: hex(quote.pcrValues),
    expectedSelection: QUOTE_SELECTION,
    ...overrides,
  };
}

const claimedMap = (pcr16: string = PCR16_VALUE) => ({
  sha256: { '0': ZERO, '1': ZERO, '2': ZERO, '3': ZERO, '7': `0x${ZERO.toUpperCase()}`, '16': pcr16 },
});

/** A key the test holds, with AK attributes, and a quote it signs: to build what a TPM would refuse to. */
function selfMadeQuote(attest: Parameters<typeof quoteAttest>[0]) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = quoteAttest(attest);
  return {
    akPublic: tpmPublicOf(publicKey, { attributes: AK_ATTRIBUTES }),
    message,
    signature: tpmSignature(privateKey, message),
    nonce: hex(QUOTE_NONCE),
    expectedSelection: { sha256: [0, 16] },
    pcrValues: hex(ZERO + PCR16_VALUE),
  };
}
const PCR_0_16 = [TPM_ALG.SHA256, Uint8Array.of(0x01, 0x00, 0x01)] as const;

describe('verifyQuote', () => {
  it('accepts the ECC AK quote and returns counters, firmware and the quoted PCRs', () => {
    const verified = verifyQuote(input(ECC_QUOTE));
    assert.equal(verified.resetCount, 2);
    assert.equal(verified.restartCount, 0);
    assert.equal(verified.safe, true);
    assert.equal(typeof verified.clock, 'bigint');
    assert.equal(verified.firmwareVersion, 0x2019102300163636n);
    assert.deepEqual(verified.pcrs, {
      sha256: { 0: ZERO, 1: ZERO, 2: ZERO, 3: ZERO, 7: ZERO, 16: PCR16_VALUE },
    });
    assert.equal(Buffer.from(verified.akName).toString('hex'), AK_ECC_NAME);
  });

  it('accepts the RSA AK quote', () => {
    assert.equal(verifyQuote(input(RSA_QUOTE)).pcrs.sha256?.[16], PCR16_VALUE);
  });

  it('accepts the PCR values as a JSON map, an already decoded AK, and a TPM2B_ATTEST message', () => {
    const verified = verifyQuote(
      input(ECC_QUOTE, {
        akPublic: parseTpm2bPublic(hex(ECC_QUOTE.akPublic)),
        message: tpm2b(hex(ECC_QUOTE.message)),
        pcrValues: claimedMap(),
      }),
    );
    assert.equal(verified.pcrs.sha256?.[7], ZERO);
  });

  it('refuses a quote by a key that is not restricted (AK_NOT_RESTRICTED_SIGNING), though its signature is valid', () => {
    assert.throws(() => verifyQuote(input(UNRESTRICTED_QUOTE)), {
      name: 'QuoteError',
      code: 'AK_NOT_RESTRICTED_SIGNING',
      message: /restricted is clear/,
    });
  });

  it('refuses a quote signed by another AK', () => {
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { akPublic: hex(UNRESTRICTED_QUOTE.akPublic) })), {
      code: 'AK_NOT_RESTRICTED_SIGNING',
    });
    const other = selfMadeQuote({ extraData: hex(QUOTE_NONCE), selection: [PCR_0_16], pcrValues: [] });
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { akPublic: other.akPublic })), {
      code: 'QUOTE_SIGNATURE_INVALID',
    });
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { akPublic: hex(RSA_QUOTE.akPublic) })), {
      code: 'QUOTE_SIGNATURE_INVALID',
    });
  });

  it('refuses a flipped signature byte and a flipped attest byte', () => {
    const signature = hex(ECC_QUOTE.signature);
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { signature: flipBit(signature, 8 * 20) })), {
      code: 'QUOTE_SIGNATURE_INVALID',
    });
    // Byte 60 is inside extraData: the signature must fail before the nonce is even looked at.
    const message = hex(ECC_QUOTE.message);
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { message: flipBit(message, 8 * 60) })), {
      code: 'QUOTE_SIGNATURE_INVALID',
    });
  });

  it('refuses a signed structure that is not a quote', () => {
    const certify = selfMadeQuote({
      type: 0x8017,
      extraData: hex(QUOTE_NONCE),
      selection: [PCR_0_16],
      pcrValues: [],
    });
    assert.throws(() => verifyQuote(certify), { code: 'QUOTE_NOT_A_QUOTE' });
    const external = selfMadeQuote({
      magic: 0x12345678,
      extraData: hex(QUOTE_NONCE),
      selection: [],
      pcrValues: [],
    });
    assert.throws(() => verifyQuote(external), { code: 'QUOTE_NOT_A_QUOTE' });
  });

  it('refuses a quote made for another nonce', () => {
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { nonce: hex(QUOTE_NONCE.replace('a1', 'a2')) })), {
      code: 'QUOTE_NONCE_MISMATCH',
    });
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { nonce: hex(QUOTE_NONCE).subarray(0, 16) })), {
      code: 'QUOTE_NONCE_MISMATCH',
    });
  });

  it('refuses a PCR selection other than the profile: fewer, more, or another bank', () => {
    for (const expectedSelection of [
      { sha256: [0, 1, 2, 3, 7] },
      { sha256: [0, 1, 2, 3, 7, 16, 17] },
      { sha384: [0, 1, 2, 3, 7, 16] },
      { sha256: [0, 1, 2, 3, 7, 16], sha1: [0] },
    ]) {
      assert.throws(() => verifyQuote(input(ECC_QUOTE, { expectedSelection })), {
        code: 'QUOTE_PCR_SELECTION_MISMATCH',
      });
    }
  });

  it('accepts the profile selection in any order and with an empty bank', () => {
    const expectedSelection = { sha256: [16, 7, 3, 2, 1, 0], sha1: [] };
    assert.equal(verifyQuote(input(ECC_QUOTE, { expectedSelection })).resetCount, 2);
  });

  it('refuses a bank listed twice', () => {
    const twice = selfMadeQuote({
      extraData: hex(QUOTE_NONCE),
      selection: [
        [TPM_ALG.SHA256, Uint8Array.of(0x01, 0, 0)],
        [TPM_ALG.SHA256, Uint8Array.of(0, 0, 0x01)],
      ],
      pcrValues: [hex(ZERO), hex(PCR16_VALUE)],
    });
    assert.throws(() => verifyQuote(twice), { code: 'QUOTE_PCR_SELECTION_MISMATCH', message: /twice/ });
  });

  it('refuses claimed PCR values that do not hash to the signed digest', () => {
    const values = hex(ECC_QUOTE.pcrValues);
    assert.throws(
      () => verifyQuote(input(ECC_QUOTE, { pcrValues: flipBit(values, values.length * 8 - 1) })),
      {
        code: 'QUOTE_PCR_DIGEST_MISMATCH',
      },
    );
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { pcrValues: claimedMap(ZERO) })), {
      code: 'QUOTE_PCR_DIGEST_MISMATCH',
    });
  });

  it('refuses PCR values that do not cover exactly the quoted PCRs', () => {
    const values = hex(ECC_QUOTE.pcrValues);
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { pcrValues: values.subarray(32) })), {
      code: 'QUOTE_PCR_VALUES_INVALID',
      message: /160 bytes, the quoted selection needs 192/,
    });
    const { '16': _, ...missing } = claimedMap().sha256;
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { pcrValues: { sha256: missing } })), {
      code: 'QUOTE_PCR_VALUES_INVALID',
      message: /no value for quoted sha256 PCR 16/,
    });
    const extra = { sha256: { ...claimedMap().sha256, '17': ZERO } };
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { pcrValues: extra })), {
      code: 'QUOTE_PCR_VALUES_INVALID',
      message: /PCR 17 is not in the quote/,
    });
    for (const pcrValues of [
      { sha256: { ...claimedMap().sha256, '16': 'zz' } },
      { sha256: { ...claimedMap().sha256, '07': ZERO } },
      { md5: {} },
      { sha256: [] },
    ]) {
      assert.throws(
        () => verifyQuote(input(ECC_QUOTE, { pcrValues: pcrValues as VerifyQuoteInput['pcrValues'] })),
        {
          code: 'QUOTE_PCR_VALUES_INVALID',
        },
      );
    }
  });

  it('checks in the documented order: nonce before selection before PCR values', () => {
    const wrongEverything = input(ECC_QUOTE, {
      nonce: hex('00'),
      expectedSelection: { sha256: [0] },
      pcrValues: new Uint8Array(1),
    });
    assert.throws(() => verifyQuote(wrongEverything), { code: 'QUOTE_NONCE_MISMATCH' });
    assert.throws(() => verifyQuote({ ...wrongEverything, nonce: hex(QUOTE_NONCE) }), {
      code: 'QUOTE_PCR_SELECTION_MISMATCH',
    });
    // The AK check comes first of all, before the signature is parsed.
    assert.throws(() => verifyQuote(input(UNRESTRICTED_QUOTE, { signature: new Uint8Array(2) })), {
      code: 'AK_NOT_RESTRICTED_SIGNING',
    });
  });

  it('refuses an empty expected nonce as a programming error', () => {
    assert.throws(() => verifyQuote(input(ECC_QUOTE, { nonce: new Uint8Array() })), RangeError);
  });
});
