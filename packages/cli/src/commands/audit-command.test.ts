import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';

const TAMPER =
  'ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; ' +
  "UPDATE audit_log SET actor='x' WHERE seq=2; " +
  'ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;';

describe('palisade audit verify', () => {
  it('reports an intact chain with its length and exits 0', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const result = await cli.run(['audit', 'verify']);
    const { checked } = await t.panel.services.audit.verify();
    assert.ok(checked >= 2);
    assert.deepEqual(result, { code: 0, out: `audit chain intact: ${checked} entries\n`, err: '' });
  });

  it('names the first tampered entry and exits 1', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    await t.panel.services.db.exec(TAMPER);

    const result = await cli.run(['audit', 'verify']);
    assert.equal(result.code, 1, result.err);
    assert.equal(
      result.out,
      'audit chain broken at entry 2: HASH_MISMATCH (the entry was changed after it was written)\n' +
        '1 entries before it are intact.\n',
    );
    const asJson = await cli.run(['audit', 'verify', '--json']);
    assert.equal(asJson.code, 1);
    assert.deepEqual((JSON.parse(asJson.out) as { firstBreak: unknown }).firstBreak, {
      seq: 2,
      reason: 'HASH_MISMATCH',
    });
  });

  it('is refused to a role without audit:read', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const token = await t.operatorToken('olga', 'operator');
    const result = await cli.run(['audit', 'verify'], {
      env: {
        PALISADE_PANEL: t.panel.facts.operatorUrl,
        PALISADE_TOKEN: token,
        PALISADE_CA_FILE: t.panel.facts.rootCaPath,
      },
    });
    assert.deepEqual(result, {
      code: 2,
      out: '',
      err: 'palisade: role operator lacks permission audit:read [FORBIDDEN]\n',
    });
  });
});

describe('palisade audit list', () => {
  it('filters by actor and action, newest first, as a table or JSON', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    for (const name of ['amy', 'ben']) {
      const created = await cli.run(['operator', 'create', '--username', name, '--role', 'viewer']);
      assert.equal(created.code, 0, created.err);
    }

    const table = await cli.run([
      'audit',
      'list',
      '--actor',
      'operator:admin',
      '--action',
      'operator.create',
    ]);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+SOURCE$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/).slice(2, 6)),
      [
        ['operator:admin', 'operator.create', 'operator:ben', 'success'],
        ['operator:admin', 'operator.create', 'operator:amy', 'success'],
      ],
    );

    const page = await cli.run(['audit', 'list', '--limit', '1', '--json']);
    assert.equal(page.code, 0, page.err);
    const parsed = JSON.parse(page.out) as {
      entries: Array<{ seq: number; action: string }>;
      nextBefore: number;
    };
    assert.equal(parsed.entries.length, 1);
    assert.equal(parsed.nextBefore, parsed.entries[0]?.seq);

    const badLimit = await cli.run(['audit', 'list', '--limit', 'ten']);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.err, /--limit must be a positive integer.*\[USAGE\]\n$/);
  });

  it('escapes control characters that an attacker put into the log', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    await t.panel.services.audit.append({
      actor: 'anonymous:\u001b[2Jevil\nforged',
      action: 'auth.login',
      outcome: 'failure',
    });
    const result = await cli.run(['audit', 'list', '--limit', '5']);
    assert.equal(result.code, 0, result.err);
    assert.ok(!result.out.includes('\u001b'));
    assert.match(result.out, /anonymous:\\u001b\[2Jevil\\u000aforged/);
  });
});
