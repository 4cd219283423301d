import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { KeyStoreError } from './key-store-error.ts';
import { formatPkcs11Uri, Pkcs11Pin, type Pkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.ts';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

/** Asserts a PKCS11_URI_INVALID error naming exactly these attributes (undefined: a structural problem). */
function assertInvalid(input: unknown, attributes: readonly (string | undefined)[]): KeyStoreError {
  let caught: unknown;
  try {
    parsePkcs11Uri(input);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof KeyStoreError, `expected a KeyStoreError for ${String(input)}`);
  assert.equal(caught.code, 'PKCS11_URI_INVALID');
  const problems = caught.details?.problems as { attribute?: string }[];
  assert.deepEqual(
    problems.map((p) => p.attribute),
    attributes,
  );
  return caught;
}

describe('parsePkcs11Uri', () => {
  describe('accepts', () => {
    it('the configuration example: token, object, module-path and pin-value', () => {
      const uri = parsePkcs11Uri(
        `pkcs11:token=palisade;object=palisade-issuing-ca?module-path=${SOFTHSM}&pin-value=1234`,
      );
      assert.equal(uri.token, 'palisade');
      assert.equal(uri.object, 'palisade-issuing-ca');
      assert.equal(uri.modulePath, SOFTHSM);
      assert.equal(uri.pinValue?.reveal(), '1234');
      assert.equal(uri.pinSource, undefined);
    });

    it('percent-encoded text as UTF-8 and id as raw bytes', () => {
      const uri = parsePkcs11Uri(
        'pkcs11:object=Issuing%20CA%20%C3%A9%2F2;id=%01%ff%00?module-path=/opt/a%20b.so',
      );
      assert.equal(uri.object, 'Issuing CA é/2');
      assert.deepEqual(uri.id, Uint8Array.from([0x01, 0xff, 0x00]));
      assert.equal(uri.modulePath, '/opt/a b.so');
    });

    it('every RFC 7512 path and query attribute', () => {
      const uri = parsePkcs11Uri(
        'pkcs11:token=t;manufacturer=SoftHSM%20project;serial=53fde383b5ae0ec4;model=SoftHSM%20v2;' +
          'library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;library-version=2.6;' +
          'object=o;type=private;id=%AB;slot-description=s;slot-manufacturer=m;slot-id=900599492' +
          '?module-name=softhsm2&module-path=/usr/lib/x.so&pin-source=file:/etc/palisade/pin',
      );
      assert.deepEqual(
        { ...uri, id: [...(uri.id ?? [])] },
        {
          token: 't',
          manufacturer: 'SoftHSM project',
          serial: '53fde383b5ae0ec4',
          model: 'SoftHSM v2',
          libraryManufacturer: 'SoftHSM',
          libraryDescription: 'Implementation of PKCS11',
          libraryVersion: { major: 2, minor: 6 },
          object: 'o',
          type: 'private',
          id: [0xab],
          slotDescription: 's',
          slotManufacturer: 'm',
          slotId: 900599492,
          moduleName: 'softhsm2',
          modulePath: '/usr/lib/x.so',
          pinSource: '/etc/palisade/pin',
        },
      );
    });

    it('an empty path and an empty query (RFC 7512 §2.3 makes both optional)', () => {
      assert.deepEqual(parsePkcs11Uri('pkcs11:'), {});
      assert.deepEqual(parsePkcs11Uri('pkcs11:?'), {});
      assert.equal(parsePkcs11Uri('pkcs11:token=').token, '');
    });

    it('a scheme, attribute names and type in any case (RFC 3986 §3.1, RFC 5234 §2.3)', () => {
      const uri = parsePkcs11Uri('PKCS11:Token=a;TYPE=Private?Module-Path=/x.so');
      assert.equal(uri.token, 'a');
      assert.equal(uri.type, 'private');
      assert.equal(uri.modulePath, '/x.so');
    });

    it('the characters RFC 7512 leaves unencoded: "&" and "=" in the path, "/" "?" "|" in the query', () => {
      const uri = parsePkcs11Uri("pkcs11:object=a&b=c:[d]@!$'()*+,~?module-path=/lib/x?y|z.so");
      assert.equal(uri.object, "a&b=c:[d]@!$'()*+,~");
      assert.equal(uri.modulePath, '/lib/x?y|z.so');
    });

    it('pin-source as a file: URI in its three spellings or as an absolute path', () => {
      for (const source of ['file:/etc/pin', 'file:///etc/pin', 'file://localhost/etc/pin', '/etc/pin']) {
        assert.equal(parsePkcs11Uri(`pkcs11:?pin-source=${source}`).pinSource, '/etc/pin', source);
      }
    });

    it('library-version without a minor number as MAJOR.0', () => {
      assert.deepEqual(parsePkcs11Uri('pkcs11:library-version=7').libraryVersion, { major: 7, minor: 0 });
    });
  });

  describe('rejects with PKCS11_URI_INVALID', () => {
    it('a value that is not a string, or another scheme', () => {
      assertInvalid(42, [undefined]);
      assertInvalid('pkcs12:token=a', [undefined]);
      assertInvalid('token=a', [undefined]);
    });

    it('an unknown or vendor attribute, naming it', () => {
      const error = assertInvalid('pkcs11:token=a;color=blue;x-vendor=1', ['color', 'x-vendor']);
      assert.match(error.message, /color is not an attribute/);
    });

    it('a query attribute in the path and a path attribute in the query', () => {
      const error = assertInvalid('pkcs11:module-path=/x.so?token=a', ['module-path', 'token']);
      assert.match(error.message, /module-path belongs in the query/);
    });

    it('an attribute given twice (RFC 7512 §2.3), in the path or the query', () => {
      assertInvalid('pkcs11:token=a;token=b', ['token']);
      assertInvalid('pkcs11:?pin-value=1&pin-value=2', ['pin-value']);
    });

    it('broken percent-encoding, invalid UTF-8 and NUL', () => {
      assertInvalid('pkcs11:object=%G1', ['object']);
      assertInvalid('pkcs11:object=abc%', ['object']);
      assertInvalid('pkcs11:object=%FF', ['object']);
      assertInvalid('pkcs11:object=a%00b', ['object']);
    });

    it('characters that must be percent-encoded: space, "/" and "#" in the path, ";" in the query', () => {
      assertInvalid('pkcs11:object=a b', ['object']);
      assertInvalid('pkcs11:object=a/b', ['object']);
      assertInvalid('pkcs11:object=a#frag', ['object']);
      assertInvalid('pkcs11:?module-path=/a;b', ['module-path']);
    });

    it('empty segments, attributes without "=" and bad names', () => {
      assertInvalid('pkcs11:token=a;;object=b', [undefined]);
      assertInvalid('pkcs11:token', [undefined]);
      assertInvalid('pkcs11:to%6Ben=a', [undefined]);
    });

    it('values outside their grammar: type, library-version, slot-id', () => {
      assertInvalid('pkcs11:type=key', ['type']);
      assertInvalid('pkcs11:library-version=1.x', ['library-version']);
      assertInvalid('pkcs11:library-version=256', ['library-version']);
      assertInvalid('pkcs11:slot-id=-1', ['slot-id']);
      assertInvalid('pkcs11:slot-id=99999999999999999', ['slot-id']);
    });

    it('a relative module-path, a pin-source command or remote file, and both pin-value and pin-source', () => {
      assertInvalid('pkcs11:?module-path=libsofthsm2.so', ['module-path']);
      const command = assertInvalid('pkcs11:?pin-source=|/usr/bin/pin', ['pin-source']);
      assert.match(command.message, /command/);
      assertInvalid('pkcs11:?pin-source=file://host/etc/pin', ['pin-source']);
      assertInvalid('pkcs11:?pin-source=pin.txt', ['pin-source']);
      assertInvalid('pkcs11:?pin-value=1&pin-source=/etc/pin', ['pin-value']);
    });

    it('with every problem at once, not only the first', () => {
      assertInvalid('pkcs11:foo=1;object=%ZZ;type=x?module-path=rel', [
        'foo',
        'object',
        'type',
        'module-path',
      ]);
    });

    it('without ever quoting the PIN, even when the PIN itself is malformed', () => {
      for (const input of [
        'pkcs11:token=a b?pin-value=S3cretPIN',
        'pkcs11:?pin-value=S3cretPIN%',
        'pkcs11:?pin-value=S3cretPIN;x',
        'pkcs11:?pin-value=S3cretPIN&pin-value=S3cretPIN',
        'pkcs11:pin-value=S3cretPIN',
      ]) {
        let caught: unknown;
        try {
          parsePkcs11Uri(input);
        } catch (error) {
          caught = error;
        }
        assert.ok(caught instanceof KeyStoreError, input);
        assert.doesNotMatch(`${caught.message} ${JSON.stringify(caught.details)}`, /S3cretPIN/, input);
      }
    });
  });

  describe('Pkcs11Pin', () => {
    it('keeps the PIN out of String(), JSON and util.inspect', () => {
      const uri = parsePkcs11Uri('pkcs11:token=a?pin-value=S3cretPIN');
      for (const printed of [String(uri.pinValue), JSON.stringify(uri), inspect(uri, { depth: 5 })]) {
        assert.doesNotMatch(printed, /S3cretPIN/);
      }
      assert.equal(uri.pinValue?.reveal(), 'S3cretPIN');
    });
  });

  describe('formatPkcs11Uri', () => {
    it('leaves pin-value out unless asked to reveal it', () => {
      const uri = parsePkcs11Uri(`pkcs11:token=a?module-path=${SOFTHSM}&pin-value=S3cretPIN`);
      assert.equal(formatPkcs11Uri(uri), `pkcs11:token=a?module-path=${SOFTHSM}`);
      assert.equal(
        formatPkcs11Uri(uri, { revealPin: true }),
        `pkcs11:token=a?module-path=${SOFTHSM}&pin-value=S3cretPIN`,
      );
    });
  });

  describe('properties', () => {
    const uriPieces = fc.constantFrom(
      'pkcs11:',
      'PKCS11:',
      'token',
      'object',
      'id',
      'type',
      'slot-id',
      'library-version',
      'module-path',
      'pin-value',
      'pin-source',
      'x-vendor',
      '=',
      ';',
      '?',
      '&',
      '#',
      '%',
      '%4',
      '%41',
      '%FF',
      '%C3%A9',
      '%00',
      '/',
      '|',
      'file:',
      'file://',
      ' ',
      'é',
      '1',
      '2.6',
      'private',
      'a',
    );

    it('throws nothing but PKCS11_URI_INVALID on any string', () => {
      const input = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.array(uriPieces, { maxLength: 24 }).map((pieces) => pieces.join('')),
        fc.array(uriPieces, { maxLength: 24 }).map((pieces) => `pkcs11:${pieces.join('')}`),
      );
      fc.assert(
        fc.property(input, (text) => {
          try {
            parsePkcs11Uri(text);
          } catch (error) {
            if (!(error instanceof KeyStoreError) || error.code !== 'PKCS11_URI_INVALID') throw error;
          }
        }),
        { numRuns: 5000 },
      );
    });

    it('never quotes a pin-value in an error, whatever else is wrong', () => {
      const pin = fc.stringMatching(/^[A-Za-z0-9]{8,16}$/);
      const noise = fc.array(uriPieces, { maxLength: 12 }).map((pieces) => pieces.join(''));
      fc.assert(
        fc.property(pin, noise, noise, (secret, before, after) => {
          try {
            parsePkcs11Uri(`pkcs11:${before}?pin-value=${secret}${after}`);
          } catch (error) {
            assert.ok(error instanceof KeyStoreError);
            assert.ok(!`${error.message} ${JSON.stringify(error.details)}`.includes(secret));
          }
        }),
        { numRuns: 2000 },
      );
    });

    it('parses what formatPkcs11Uri writes back to the same value', () => {
      const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
      const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
      const absolutePath = fc
        .array(segment, { minLength: 1, maxLength: 4 })
        .map((parts) => `/${parts.join('/')}`);
      const record = fc.record(
        {
          token: text,
          manufacturer: text,
          serial: text,
          model: text,
          libraryManufacturer: text,
          libraryDescription: text,
          libraryVersion: fc.record({ major: fc.nat(255), minor: fc.nat(255) }),
          object: text,
          type: fc.constantFrom('public', 'private', 'cert', 'secret-key', 'data'),
          id: fc.uint8Array({ maxLength: 20 }),
          slotDescription: text,
          slotManufacturer: text,
          slotId: fc.nat(),
          modulePath: absolutePath,
          moduleName: text,
          pin: fc.oneof(
            text.map((value) => ({ pinValue: new Pkcs11Pin(value) })),
            absolutePath.map((pinSource) => ({ pinSource })),
          ),
        },
        { requiredKeys: [] },
      );
      const comparable = (uri: Pkcs11Uri) => ({
        ...uri,
        id: uri.id && [...uri.id],
        // fast-check records have a null prototype; compare the fields.
        libraryVersion: uri.libraryVersion && { ...uri.libraryVersion },
        pinValue: uri.pinValue?.reveal(),
      });
      fc.assert(
        fc.property(record, ({ pin, ...fields }) => {
          const uri: Pkcs11Uri = { ...fields, ...pin };
          const reparsed = parsePkcs11Uri(formatPkcs11Uri(uri, { revealPin: true }));
          assert.deepEqual(comparable(reparsed), comparable(uri));
        }),
        { numRuns: 1000 },
      );
    });
  });
});
