import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTestDatabase } from '@palisade/testkit';
import { AuditLog, entryHash, GENESIS_HASH } from './audit-log.ts';

describe('AuditLog', () => {
  describe('#append', () => {
    it('chains each entry to the previous hash, starting from the genesis hash', async () => {
      await using database = await openTestDatabase();
      const audit = new AuditLog(database.db);
      const first = await audit.append({ actor: 'system', action: 'panel.start', outcome: 'success' });
      const second = await audit.append({
        actor: 'operator:alice',
        action: 'operator.create',
        target: 'operator:bob',
        outcome: 'success',
        details: { role: 'viewer' },
      });
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, GENESIS_HASH);
      assert.equal(second.seq, 2);
      assert.equal(second.prevHash, first.hash);
      assert.equal(second.hash, entryHash(first.hash, second));
    });

    it('keeps one linear chain when many appends race', async () => {
      await using database = await openTestDatabase();
      const audit = new AuditLog(database.db);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          audit.append({ actor: 'system', action: `race.${i}`, outcome: 'success' }),
        ),
      );
      const verification = await audit.verify();
      assert.deepEqual({ ok: verification.ok, checked: verification.checked }, { ok: true, checked: 40 });
    });

    it('records attacker-chosen strings containing NUL instead of failing the action', async () => {
      await using database = await openTestDatabase();
      const audit = new AuditLog(database.db);
      const entry = await audit.append({
        actor: 'anonymous:ev\u0000il',
        action: 'auth.login',
        outcome: 'failure',
        details: { note: 'a\u0000b' },
      });
      assert.equal(entry.actor, 'anonymous:ev\uFFFDil');
      assert.equal((await audit.verify()).ok, true);
    });

    it('rolls back with the caller transaction, leaving no entry behind', async () => {
      await using database = await openTestDatabase();
      const audit = new AuditLog(database.db);
      await assert.rejects(
        database.db.transaction(async (tx) => {
          await audit.appendIn(tx, { actor: 'system', action: 'doomed', outcome: 'success' });
          throw new Error('action failed');
        }),
        /action failed/,
      );
      assert.deepEqual(await audit.list({ limit: 10 }), []);
    });
  });

  describe('#verify', () => {
    async function seeded(n: number) {
      const database = await openTestDatabase();
      const audit = new AuditLog(database.db);
      for (let i = 1; i <= n; i += 1)
        await audit.append({ actor: 'system', action: `step.${i}`, outcome: 'success', details: { i } });
      return { database, audit };
    }

    it('reports an intact chain across several pages', async () => {
      const { database, audit } = await seeded(7);
      await using _ = database;
      assert.deepEqual(await audit.verify(3), {
        ok: true,
        checked: 7,
        head: (await audit.list({ limit: 1 }))[0]?.hash,
      });
    });

    it('is refused by the database when the application tries to edit or delete an entry', async () => {
      const { database } = await seeded(2);
      await using _ = database;
      await assert.rejects(
        database.db.query("UPDATE audit_log SET actor = 'x' WHERE seq = 1"),
        /append-only/,
      );
      await assert.rejects(database.db.query('DELETE FROM audit_log WHERE seq = 1'), /append-only/);
    });

    it('names the first edited row when someone bypasses the trigger and changes it', async () => {
      const { database, audit } = await seeded(5);
      await using _ = database;
      await database.db.exec(`
        ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
        UPDATE audit_log SET details = '{"i": 99}' WHERE seq = 3;
        ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
      const verification = await audit.verify();
      assert.equal(verification.ok, false);
      assert.deepEqual(verification.firstBreak, { seq: 3, reason: 'HASH_MISMATCH' });
      assert.equal(verification.checked, 2);
    });

    it('names the gap when a row in the middle is deleted', async () => {
      const { database, audit } = await seeded(5);
      await using _ = database;
      await database.db.exec(`
        ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
        DELETE FROM audit_log WHERE seq = 2;
        ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
      assert.deepEqual((await audit.verify()).firstBreak, { seq: 3, reason: 'SEQUENCE_GAP', expectedSeq: 2 });
    });

    it('detects a deleted row even when the sequence numbers are rewritten to hide it', async () => {
      const { database, audit } = await seeded(4);
      await using _ = database;
      await database.db.exec(`
        ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
        DELETE FROM audit_log WHERE seq = 2;
        UPDATE audit_log SET seq = seq - 1 WHERE seq > 2;
        ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
      assert.deepEqual((await audit.verify()).firstBreak, { seq: 2, reason: 'PREVIOUS_HASH_MISMATCH' });
    });
  });
});

describe('AuditLog#listJson', () => {
  it('is the same page as #list, with nextBefore when the page is full', async () => {
    await using database = await openTestDatabase();
    const audit = new AuditLog(database.db);
    for (let i = 1; i <= 5; i += 1) {
      await audit.append({
        actor: 'operator:a',
        action: `x.${i}`,
        outcome: i % 2 ? 'success' : 'denied',
        target: i === 2 ? undefined : `t:${i}`,
        source: i === 3 ? undefined : '10.0.0.1',
        details: { i, nested: { ok: true, none: null } },
      });
    }
    for (const query of [
      { limit: 3 },
      { limit: 10 },
      { limit: 2, before: 4 },
      { limit: 10, action: 'x.2' },
    ]) {
      const entries = await audit.list(query);
      const expected =
        entries.length === query.limit ? { entries, nextBefore: entries.at(-1)?.seq } : { entries };
      const page = JSON.parse(await audit.listJson(query)) as { entries: Array<Record<string, unknown>> };
      for (const entry of page.entries) {
        for (const key of ['target', 'source']) if (entry[key] === null) delete entry[key];
      }
      assert.deepEqual(page, JSON.parse(JSON.stringify(expected)), JSON.stringify(query));
    }
  });
});
