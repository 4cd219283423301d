import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newUuidV7 as newRecordId } from '@palisade/core';
import fc from 'fast-check';
import { OutboxError } from './outbox-error.ts';
import { decodeStoredRecord, encodeNewRecord } from './outbox-record.ts';

describe('outbox records', () => {
  describe('decodeStoredRecord', () => {
    it('returns what encodeNewRecord stored', () => {
      const { record, payload } = encodeNewRecord({
        kind: 'event',
        severity: 0,
        body: { a: [1, 'b', null] },
      });
      assert.deepEqual(decodeStoredRecord(payload, 'here'), record);
    });

    it('throws only OUTBOX_CORRUPT on arbitrary bytes and JSON', () => {
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
        fc.json().map((text) => Buffer.from(text)),
        fc
          .record(
            {
              id: fc.string(),
              kind: fc.string(),
              severity: fc.double(),
              createdAt: fc.string(),
              body: fc.jsonValue(),
            },
            { requiredKeys: [] },
          )
          .map((value) => Buffer.from(JSON.stringify(value))),
      );
      fc.assert(
        fc.property(input, (bytes) => {
          try {
            decodeStoredRecord(bytes, 'fuzz');
          } catch (error) {
            assert.ok(error instanceof OutboxError, String(error));
            assert.equal(error.code, 'OUTBOX_CORRUPT');
          }
        }),
        { numRuns: 3000 },
      );
    });
  });

  describe('encodeNewRecord', () => {
    it('refuses a body JSON would silently drop', () => {
      assert.throws(
        () => encodeNewRecord({ kind: 'event', severity: 1, body: undefined as unknown as null }),
        {
          code: 'OUTBOX_RECORD_INVALID',
          message: 'outbox record rejected: body: must be a JSON value',
        },
      );
    });
  });

  describe('newRecordId', () => {
    it('is strictly increasing within one millisecond and past the per-millisecond counter', () => {
      const ids = Array.from({ length: 5000 }, () => newRecordId(1_700_000_000_000));
      for (let i = 1; i < ids.length; i += 1)
        assert.ok((ids[i - 1] ?? '') < (ids[i] ?? ''), `${ids[i - 1]} !< ${ids[i]}`);
    });
  });
});
