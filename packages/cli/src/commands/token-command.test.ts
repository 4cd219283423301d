import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { CliError } from '../cli-error.ts';
import { cliSandbox } from '../cli-sandbox.ts';
import { parseTtl } from './token-command.ts';

describe('palisade operator token', () => {
  it('prints a token once that works as PALISADE_TOKEN, lists it, and stops working once revoked', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using automation = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);

    const created = await admin.run([
      'operator',
      'token',
      'create',
      '--name',
      'ci',
      '--role',
      'auditor',
      '--ttl',
      '1h',
    ]);
    assert.equal(created.code, 0, created.err);
    const match =
      /^created token ci \(id ([0-9a-f-]{36}), role auditor, expires (\S+)\)\ntoken: (pls_tok_\S+)\n/.exec(
        created.out,
      );
    assert.ok(match, created.out);
    const [, id, expiresAt, token] = match as unknown as [string, string, string, string];
    const ttl = Date.parse(expiresAt) - Date.now();
    assert.ok(ttl > 3500_000 && ttl <= 3600_000, `expires in ${ttl} ms`);

    const env = {
      PALISADE_PANEL: facts.operatorUrl,
      PALISADE_TOKEN: token,
      PALISADE_CA_FILE: facts.rootCaPath,
    };
    const list = await automation.run(['operator', 'list'], { env });
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /\nadmin\s+admin\s+active\s/);

    const tokens = await admin.run(['operator', 'token', 'list']);
    assert.equal(tokens.code, 0, tokens.err);
    assert.match(tokens.out, new RegExp(`\\n${id}\\s+ci\\s+auditor\\s+admin\\s+active\\s`));
    assert.ok(!tokens.out.includes(token), 'the secret is never listed');

    const revoked = await admin.run(['operator', 'token', 'revoke', '--id', id]);
    assert.deepEqual(revoked, { code: 0, out: `revoked token ci (id ${id})\n`, err: '' });
    const after = await automation.run(['operator', 'list'], { env });
    assert.deepEqual(after, {
      code: 2,
      out: '',
      err: 'palisade: credential is malformed or unknown [UNAUTHENTICATED]\n',
    });
    assert.match(
      (await admin.run(['operator', 'token', 'list'])).out,
      new RegExp(`\\n${id}\\s+ci\\s+auditor\\s+admin\\s+revoked\\s`),
    );
  });

  it('answers an unknown token id with the panel code', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const result = await admin.run([
      'operator',
      'token',
      'revoke',
      '--id',
      '00000000-0000-4000-8000-000000000000',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.err, /\[TOKEN_NOT_FOUND\]\n$/);
  });
});

describe('parseTtl', () => {
  it('reads s, m, h and d suffixes, and bare seconds', () => {
    assert.deepEqual(['90d', '12h', '30m', '600s', '600'].map(parseTtl), [
      90 * 86_400,
      12 * 3600,
      30 * 60,
      600,
      600,
    ]);
  });

  it('refuses anything else as a usage error', () => {
    for (const bad of ['', '1w', '-5d', '1.5h', 'd', '90 d']) {
      assert.throws(
        () => parseTtl(bad),
        (error: unknown) => error instanceof CliError && error.code === 'USAGE',
        bad,
      );
    }
  });
});
