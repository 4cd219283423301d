import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';

interface GroupJson {
  name: string;
  targetLevel: string;
  requireChannelBinding: boolean;
  manualApproval: boolean;
  certificateValidityDays: number;
}

describe('palisade group', () => {
  it('lists the default group, creates a group with its profile, and replaces the profile on the next set', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);

    assert.deepEqual(await admin.run(['group', 'list']), {
      code: 0,
      out:
        'NAME     LEVEL  CHANNEL BINDING  APPROVAL   VALIDITY\n' +
        'default  SLB    optional         automatic  90 d\n',
      err: '',
    });
    const set = await admin.run([
      'group',
      'set',
      '--name',
      'substations',
      '--level',
      'SLC',
      '--require-channel-binding',
      '--manual-approval',
      '--validity-days',
      '30',
    ]);
    assert.deepEqual(set, {
      code: 0,
      out: 'group substations: level SLC, channel binding required, approval manual, certificates valid 30 d\n',
      err: '',
    });
    const listed = JSON.parse((await admin.run(['group', 'list', '--json'])).out) as { groups: GroupJson[] };
    assert.deepEqual(listed.groups.at(-1), {
      name: 'substations',
      targetLevel: 'SLC',
      requireChannelBinding: true,
      manualApproval: true,
      certificateValidityDays: 30,
    });

    // PUT replaces the whole profile: flags left out go back to their defaults.
    const replaced = await admin.run(['group', 'set', '--name', 'substations', '--level', 'SLE', '--json']);
    assert.equal(replaced.code, 0, replaced.err);
    assert.deepEqual(JSON.parse(replaced.out) as GroupJson, {
      name: 'substations',
      targetLevel: 'SLE',
      requireChannelBinding: false,
      manualApproval: false,
      certificateValidityDays: 90,
    });
    assert.equal((await admin.run(['device', 'create', '--id', 'rtu-1', '--group', 'substations'])).code, 0);
  });

  it('passes the panel refusals through and refuses bad flags before contacting any panel', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using operator = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const badName = await admin.run(['group', 'set', '--name', 'Upper Case', '--level', 'SLB']);
    assert.equal(badName.code, 2);
    assert.match(badName.err, /\[VALIDATION_FAILED\]\n$/);

    await admin.run(['operator', 'create', '--username', 'otto', '--role', 'auditor', '--password-stdin'], {
      stdin: 'Orchid-Lantern-42\n',
    });
    await operator.login(facts, 'otto', 'Orchid-Lantern-42\n');
    const forbidden = await operator.run(['group', 'set', '--name', 'x', '--level', 'SLB']);
    assert.equal(forbidden.err, 'palisade: role auditor lacks permission fleet:manage [FORBIDDEN]\n');
    assert.doesNotMatch((await admin.run(['group', 'list'])).out, /\nx\s/);

    await using offline = await cliSandbox();
    const cases: Array<[string[], RegExp]> = [
      [['group', 'set', '--name', 'x'], /--level is required/],
      [['group', 'set', '--name', 'x', '--level', 'SL4'], /--level must be one of SLB, SLE, SLC/],
      [['group', 'set', '--name', 'x', '--level', 'SLB', '--validity-days', '0'], /--validity-days must be/],
      [
        ['group', 'set', '--name', 'x', '--level', 'SLB', '--validity-days', '826'],
        /--validity-days must be/,
      ],
      [
        ['group', 'set', '--name', 'x', '--level', 'SLB', '--validity-days', '1.5'],
        /--validity-days must be/,
      ],
      [['group', 'set', '--level', 'SLB'], /--name is required/],
      [['group', 'delete', '--name', 'x'], /unknown command 'group delete'/],
    ];
    for (const [argv, message] of cases) {
      const result = await offline.run(argv);
      assert.equal(result.code, 2, argv.join(' '));
      assert.match(result.err, message, argv.join(' '));
      assert.match(result.err, /\[USAGE\]\n$/, argv.join(' '));
    }
  });
});
