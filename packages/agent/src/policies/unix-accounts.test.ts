import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAccountFile } from './unix-accounts.ts';

describe('parseAccountFile', () => {
  it('reads names, ids and the primary group of passwd(5) lines, first entry winning', () => {
    const found = parseAccountFile(
      'root:x:0:0:root:/root:/bin/sh\n# comment\n+nis\nplc:x:4242:4243::/:/bin/false\nplc:x:1:1::/:/bin/false\nbad:x:-1:0::/:\n',
    );
    assert.deepEqual(
      [...found],
      [
        ['root', { id: 0, primaryGroup: 0 }],
        ['plc', { id: 4242, primaryGroup: 4243 }],
      ],
    );
  });

  it('reads group(5) lines (the id is the group id)', () => {
    assert.deepEqual(parseAccountFile('ops:x:4300:plc,root\n').get('ops')?.id, 4300);
  });

  it('never throws and yields only non-negative integer ids for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        for (const { id, primaryGroup } of parseAccountFile(text).values()) {
          assert.ok(Number.isInteger(id) && id >= 0 && id <= 0xfffffffe);
          assert.ok(Number.isInteger(primaryGroup) && primaryGroup >= 0);
        }
      }),
    );
  });
});
