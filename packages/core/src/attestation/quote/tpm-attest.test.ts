import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ECC_QUOTE, ECC_QUOTE_LATER, QUOTE_NONCE } from './quote-fixtures.ts';
import { TPM_ALG } from './tpm-algorithms.ts';
import { attestBytes, parseTpmsAttest } from './tpm-attest.ts';
import { concat, hex, quoteAttest, tpm2b } from './tpm-test-encoders.ts';

const ZERO = new Uint8Array(32);
const nonce = hex(QUOTE_NONCE);
const sha256Pcrs = (bitmap: number[]) => [TPM_ALG.SHA256, Uint8Array.from(bitmap)] as const;

describe('parseTpmsAttest', () => {
  it('decodes the quote tpm2_quote -m wrote: nonce, clock info, selection and digest', () => {
    const attest = parseTpmsAttest(hex(ECC_QUOTE.message));
    assert.deepEqual(attest.extraData, nonce);
    assert.equal(attest.qualifiedSigner.length, 34);
    assert.equal(attest.qualifiedSigner[1], TPM_ALG.SHA256);
    assert.equal(attest.clockInfo.resetCount, 2);
    assert.equal(attest.clockInfo.restartCount, 0);
    assert.equal(attest.clockInfo.safe, true);
    assert.equal(typeof attest.clockInfo.clock, 'bigint');
    assert.equal(attest.firmwareVersion, 0x2019102300163636n);
    assert.deepEqual(attest.pcrSelection, [{ bank: 'sha256', pcrs: [0, 1, 2, 3, 7, 16] }]);
    assert.equal(attest.pcrDigest.length, 32);
  });

  it('reads the clock of a later quote as larger', () => {
    const first = parseTpmsAttest(hex(ECC_QUOTE.message)).clockInfo.clock;
    const later = parseTpmsAttest(hex(ECC_QUOTE_LATER.message)).clockInfo.clock;
    assert.ok(later > first);
  });

  it('refuses a structure the TPM did not generate (magic) as QUOTE_NOT_A_QUOTE', () => {
    const forged = quoteAttest({ magic: 0xff544348, extraData: nonce, selection: [], pcrValues: [] });
    assert.throws(() => parseTpmsAttest(forged), {
      code: 'QUOTE_NOT_A_QUOTE',
      message: /TPM_GENERATED_VALUE/,
    });
  });

  it('refuses other attestation types (TPM_ST_ATTEST_CERTIFY) as QUOTE_NOT_A_QUOTE', () => {
    const certify = quoteAttest({ type: 0x8017, extraData: nonce, selection: [], pcrValues: [] });
    assert.throws(() => parseTpmsAttest(certify), { code: 'QUOTE_NOT_A_QUOTE', message: /0x8017/ });
  });

  it('refuses a safe flag that is neither YES nor NO', () => {
    const bad = quoteAttest({ safe: 2, extraData: nonce, selection: [], pcrValues: [] });
    assert.throws(() => parseTpmsAttest(bad), { code: 'QUOTE_MALFORMED', message: /clockInfo.safe is 2/ });
  });

  it('refuses trailing bytes and truncation', () => {
    const bytes = hex(ECC_QUOTE.message);
    assert.throws(() => parseTpmsAttest(concat(bytes, Uint8Array.of(0))), {
      code: 'QUOTE_MALFORMED',
      message: /1 trailing bytes/,
    });
    // extraData's 32 bytes start at 44 (magic 4, type 2, qualifiedSigner 2 + 34, size 2).
    assert.throws(() => parseTpmsAttest(bytes.subarray(0, 60)), {
      code: 'QUOTE_MALFORMED',
      message: /truncated at extraData: needs 32 bytes, 16 left/,
      details: { structure: 'TPMS_ATTEST', offset: 44 },
    });
  });

  it('refuses an extraData larger than a digest and a pcrSelect larger than 32 PCRs', () => {
    const longNonce = quoteAttest({ extraData: new Uint8Array(65), selection: [], pcrValues: [] });
    assert.throws(() => parseTpmsAttest(longNonce), {
      code: 'QUOTE_MALFORMED',
      message: /extraData is 65 bytes/,
    });
    const wide = quoteAttest({
      extraData: nonce,
      selection: [sha256Pcrs([1, 0, 0, 0, 0])],
      pcrValues: [ZERO],
    });
    assert.throws(() => parseTpmsAttest(wide), { code: 'QUOTE_MALFORMED', message: /sizeofSelect 5/ });
  });

  it('refuses more banks than a TPM has', () => {
    const banks = Array.from({ length: 9 }, () => sha256Pcrs([1, 0, 0]));
    const many = quoteAttest({ extraData: nonce, selection: banks, pcrValues: [] });
    assert.throws(() => parseTpmsAttest(many), { code: 'QUOTE_MALFORMED', message: /count 9/ });
  });

  it('drops banks with no PCR selected, and refuses an unknown bank that has some', () => {
    const withEmptySha1 = quoteAttest({
      extraData: nonce,
      selection: [sha256Pcrs([0x81, 0, 0]), [TPM_ALG.SHA1, new Uint8Array(3)]],
      pcrValues: [ZERO, ZERO],
    });
    assert.deepEqual(parseTpmsAttest(withEmptySha1).pcrSelection, [{ bank: 'sha256', pcrs: [0, 7] }]);
    const sm3 = quoteAttest({
      extraData: nonce,
      selection: [[TPM_ALG.SM3_256, Uint8Array.of(1, 0, 0)]],
      pcrValues: [],
    });
    assert.throws(() => parseTpmsAttest(sm3), {
      code: 'QUOTE_UNSUPPORTED_ALGORITHM',
      message: /bank 0x0012/,
    });
  });
});

describe('attestBytes', () => {
  it('unwraps a TPM2B_ATTEST and passes a bare TPMS_ATTEST through', () => {
    const bare = hex(ECC_QUOTE.message);
    assert.deepEqual(attestBytes(tpm2b(bare)), bare);
    assert.deepEqual(attestBytes(bare), bare);
  });

  it('refuses a message over the limit', () => {
    assert.throws(() => attestBytes(new Uint8Array(4096)), {
      code: 'QUOTE_MALFORMED',
      message: /limit 2048/,
    });
  });
});
