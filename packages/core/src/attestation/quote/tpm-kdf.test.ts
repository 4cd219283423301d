import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kdfa, kdfe } from './tpm-kdf.ts';
import { hex } from './tpm-test-encoders.ts';

// Known answers from OpenSSL 3, an independent implementation of the same NIST KDFs:
// KDFa = `openssl kdf -kdfopt mac:HMAC -kdfopt digest:SHA256 -kdfopt salt:<label> -kdfopt hexinfo:<contextU||contextV> KBKDF`
// (SP 800-108 counter mode, whose 0x00 separator is the label's terminator), and
// KDFe = `openssl kdf -kdfopt digest:SHA256 -kdfopt hexinfo:<label\0||U||V> SSKDF` (SP 800-56C single-step).
const KEY = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const AK_NAME = hex(`000b${'ab'.repeat(32)}`);
const EMPTY = new Uint8Array();
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('kdfa', () => {
  it('derives the credential symmetric key ("STORAGE", contextU = AK name, 128 bits)', () => {
    assert.equal(
      text(kdfa('sha256', KEY, 'STORAGE', AK_NAME, EMPTY, 128)),
      '209ef731cacd39c9489efc1aa1e18696',
    );
  });

  it('derives the HMAC key ("INTEGRITY", no context, one digest)', () => {
    assert.equal(
      text(kdfa('sha256', KEY, 'INTEGRITY', EMPTY, EMPTY, 256)),
      'bacf689f634ece301e1f1b15b072d9c87db6a69585db42b1a0cb8f73ebe2692e',
    );
  });

  it('binds the output length into every block (320 bits is not a longer 256)', () => {
    assert.equal(
      text(kdfa('sha256', KEY, 'INTEGRITY', EMPTY, EMPTY, 320)),
      '5d667f96855df2608a698bfb8824b1268723b3e10f4dd14ced3899b162e3e939c5d5fc375e5a916f',
    );
  });

  it('refuses lengths that are not whole octets', () => {
    assert.throws(() => kdfa('sha256', KEY, 'STORAGE', EMPTY, EMPTY, 12), RangeError);
    assert.throws(() => kdfa('sha256', KEY, 'STORAGE', EMPTY, EMPTY, 0), RangeError);
  });
});

describe('kdfe', () => {
  const z = hex('cd'.repeat(32));
  const u = hex('11'.repeat(32));
  const v = hex('22'.repeat(32));

  it('derives the ECC credential seed ("IDENTITY", ephemeral x, EK x)', () => {
    assert.equal(
      text(kdfe('sha256', z, 'IDENTITY', u, v, 256)),
      '261756ef06b757dbccdcc6b9aa74ef56cc7513226ff96c76018acb9ca79203a2',
    );
  });

  it('continues with counter 2 past one digest', () => {
    assert.equal(
      text(kdfe('sha256', z, 'IDENTITY', u, v, 384)),
      '261756ef06b757dbccdcc6b9aa74ef56cc7513226ff96c76018acb9ca79203a2b93200ba4ba28a75c44287ca76ec900f',
    );
  });
});
