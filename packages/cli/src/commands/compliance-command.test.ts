import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { skipUnlessCommand, startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';

describe('palisade compliance', () => {
  it('report: writes the group report and its signature, which openssl verifies against the root CA', {
    skip: skipUnlessCommand('openssl', ['version']),
  }, async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await t.panel.services.devices.create({ actor: 'operator:test' }, { id: 'gw-report-1' });
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const out = join(cli.home, 'plant.html');
    const result = await cli.run([
      'compliance',
      'report',
      '--group',
      'default',
      '--format',
      'html',
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^wrote .*plant\.html \(\d+ bytes\) and its signature .*plant\.html\.p7s\n/);
    assert.match(await readFile(out, 'utf8'), /Device gw-report-1/);
    const verified = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        `${out}.p7s`,
        '-content',
        out,
        '-CAfile',
        t.panel.facts.rootCaPath,
        '-out',
        '/dev/null',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(verified.status, 0, verified.stderr);

    const again = await cli.run([
      'compliance',
      'report',
      '--group',
      'default',
      '--format',
      'html',
      '--out',
      out,
    ]);
    assert.equal(again.code, 2);
    assert.match(again.err, /refusing to overwrite .*plant\.html; pass --force \[FILE_EXISTS\]/);
  });

  it('report: refuses an unknown format and group before asking the panel', async () => {
    await using cli = await cliSandbox();
    const format = await cli.run(['compliance', 'report', '--group', 'default', '--format', 'docx']);
    assert.equal(format.code, 2);
    assert.match(format.err, /--format must be one of json, csv, html, pdf .*\[USAGE\]/s);
    const group = await cli.run(['compliance', 'report', '--group', 'Not A Group']);
    assert.equal(group.code, 2);
    assert.match(group.err, /is not a group name/);
  });

  it("report: passes on the panel's refusal with its code", async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const result = await cli.run([
      'compliance',
      'report',
      '--group',
      'nowhere',
      '--format',
      'csv',
      '--out',
      '-',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.err, /\[GROUP_NOT_FOUND\]\n$/);
  });

  it('device: prints the device control by control with its gaps', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await t.panel.services.devices.create({ actor: 'operator:test' }, { id: 'gw-table-1' });
    await cli.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const result = await cli.run(['compliance', 'device', '--id', 'gw-table-1']);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^gw-table-1 \(group default\): achieves none, target SLB\n/);
    assert.match(
      result.out,
      /\nID-1 +not_met +PKI-based identity +No operational certificate \(LDevID\) has been issued/,
    );
    assert.match(result.out, /\nGaps to SLB:\n {2}RT-1 Start the agent on the device/);
  });
});
