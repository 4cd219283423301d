import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FirewallError } from './firewall-error.ts';
import {
  type FirewallRecord,
  isTableListing,
  parseFirewallRecord,
  readFirewallRecord,
  serializeFirewallRecord,
  writeFirewallRecord,
} from './firewall-record.ts';

const LISTING =
  'table inet palisade {\n\tcomment "managed"\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n' +
  '\t\ttcp dport { 22, 80 } accept comment "a } b"\n\t}\n}\n';
const HASH = 'a'.repeat(64);

function isCorrupt(error: unknown): boolean {
  return error instanceof FirewallError && error.code === 'FIREWALL_STATE_CORRUPT';
}

describe('parseFirewallRecord', () => {
  it('reads back what it writes, for both phases', () => {
    const records: FirewallRecord[] = [
      { phase: 'settled', activeHash: HASH },
      { phase: 'pending', deadline: '2026-03-01T12:00:00.000Z', previous: { kind: 'absent' } },
      {
        phase: 'pending',
        deadline: '2026-03-01T12:00:00.000Z',
        previous: { kind: 'table', ruleset: LISTING },
      },
    ];
    for (const record of records)
      assert.deepEqual(parseFirewallRecord(serializeFirewallRecord(record)), record);
  });

  it('refuses records it did not write with FIREWALL_STATE_CORRUPT', () => {
    const pending = { version: 1, phase: 'pending', deadline: '2026-03-01T12:00:00Z' };
    for (const value of [
      'not json',
      'null',
      { version: 2, phase: 'settled', activeHash: HASH },
      { version: 1, phase: 'settled', activeHash: 'abc' },
      { version: 1, phase: 'confirmed', activeHash: HASH },
      { ...pending, deadline: 'soon', previous: { kind: 'absent' } },
      { ...pending, previous: { kind: 'table' } },
      { ...pending, previous: { kind: 'table', ruleset: 'flush ruleset' } },
    ]) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      assert.throws(() => parseFirewallRecord(text), isCorrupt, text);
    }
  });

  it('throws only FIREWALL_STATE_CORRUPT for any text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseFirewallRecord(text);
        } catch (error) {
          assert.ok(isCorrupt(error));
        }
      }),
    );
  });
});

describe('isTableListing', () => {
  it('accepts a listing of table inet palisade, braces inside quotes included', () => {
    assert.equal(isTableListing(LISTING), true);
  });

  it('refuses a saved listing that would reach outside our table when fed back to nft', () => {
    for (const ruleset of [
      'table ip filter {\n}\n',
      `${LISTING}delete table ip filter\n`,
      'table inet palisade {\n\t}\n\tdelete table ip filter\n\ttable inet palisade {\n}\n',
      'table inet palisade {\n\t# {\n\t}\n\tflush ruleset\n\ttable inet palisade { "\n\t# "}\n}\n',
      'table inet palisade {\n\tcomment "unterminated\n}\n',
      'table inet palisade {}',
    ]) {
      assert.equal(isTableListing(ruleset), false, ruleset);
    }
  });
});

describe('readFirewallRecord / writeFirewallRecord', () => {
  it('returns undefined before the first write, then the record, in a 0600 file', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-fw-record-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'state', 'firewall.json');
    assert.equal(await readFirewallRecord(path), undefined);
    await writeFirewallRecord(path, { phase: 'settled', activeHash: HASH });
    assert.deepEqual(await readFirewallRecord(path), { phase: 'settled', activeHash: HASH });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.match(await readFile(path, 'utf8'), /^\{"version":1,/);
  });

  it('reports a damaged file as FIREWALL_STATE_CORRUPT', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-fw-record-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'firewall.json');
    await writeFile(path, '{"version":1,"phase":"pend');
    await assert.rejects(readFirewallRecord(path), isCorrupt);
  });
});
