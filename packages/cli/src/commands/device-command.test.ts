import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';
import { basic, bearer, issuedCertificate, makeCsr, problemCode, simpleEnroll } from '../est-test-client.ts';

const VIEWER_PASSWORD = 'Orchid-Lantern-42';

/** The secret `device enroll-token` printed. */
function printedToken(out: string): string {
  const match = /^token: (pls_enr_\S+)$/m.exec(out);
  if (!match?.[1]) throw new Error(`no enrollment token in: ${out}`);
  return match[1];
}

interface ShownDevice {
  device: {
    id: string;
    group: string;
    state: string;
    idevidSerial: string | null;
    idevidFingerprint: string | null;
  };
  certificates: Array<{ serial: string; revokedAt: string | null; revocationReason: string | null }>;
}

describe('palisade device', () => {
  it('creates a device, prints a token that enrolls it once, and shows its certificate revoked after revoke', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const ca = await readFile(facts.rootCaPath);

    const created = await admin.run(['device', 'create', '--id', 'gw-1']);
    assert.deepEqual(created, {
      code: 0,
      out: 'created device gw-1 (group default); give it an enrollment token: palisade device enroll-token --id gw-1\n',
      err: '',
    });
    const issued = await admin.run(['device', 'enroll-token', '--id', 'gw-1', '--ttl', '2h']);
    assert.equal(issued.code, 0, issued.err);
    const match = /^enrollment token for gw-1 \(expires (\S+)\)\ntoken: pls_enr_\S+\n(.+)\n$/.exec(
      issued.out,
    );
    assert.ok(match, issued.out);
    const ttl = Date.parse(match[1] as string) - Date.now();
    assert.ok(ttl > 7100_000 && ttl <= 7200_000, `expires in ${ttl} ms`);
    assert.match(match[2] as string, /\/\.well-known\/est\/simpleenroll .*HTTP Basic \(user gw-1, .*Bearer/);
    const token = printedToken(issued.out);

    const csrDer = await makeCsr('gw-1');
    const enrolled = await simpleEnroll({
      deviceUrl: facts.deviceUrl,
      ca,
      csrDer,
      authorization: bearer(token),
    });
    const certificate = issuedCertificate(enrolled);
    // The panel spells serials without leading zeros.
    const serial = certificate.serialNumber.replace(/^0+/, '');
    assert.match(certificate.subject, /CN=gw-1/);
    const again = await simpleEnroll({
      deviceUrl: facts.deviceUrl,
      ca,
      csrDer: await makeCsr('gw-1'),
      authorization: bearer(token),
    });
    assert.equal(again.status, 401, 'the token works once');
    assert.equal(problemCode(again), 'ENROLLMENT_UNAUTHENTICATED');

    const shown = await admin.run(['device', 'show', '--id', 'gw-1']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^device gw-1\n {2}group {8}default\n {2}state {8}enrolled\n/);
    assert.match(shown.out, /\nSERIAL\s+SUBJECT\s+NOT BEFORE\s+NOT AFTER\s+VIA\s+KEY\s+STATUS\n/);
    assert.match(shown.out, new RegExp(`\\n${serial}\\s+CN=gw-1.*simpleenroll\\s+EC P-256\\s+valid\\n`));

    const revoked = await admin.run(['device', 'revoke', '--id', 'gw-1', '--reason', 'keyCompromise']);
    assert.deepEqual(revoked, {
      code: 0,
      out: 'revoked device gw-1 (keyCompromise): its certificates are revoked and its connections closed\n',
      err: '',
    });
    const after = await admin.run(['device', 'show', '--id', 'gw-1']);
    assert.match(after.out, /\n {2}state {8}revoked\n/);
    assert.match(after.out, new RegExp(`\\n${serial}\\s.*\\srevoked \\S+ \\(keyCompromise\\)\\n`));
    const json = JSON.parse(
      (await admin.run(['device', 'show', '--id', 'gw-1', '--json'])).out,
    ) as ShownDevice;
    assert.equal(json.device.state, 'revoked');
    assert.deepEqual(
      json.certificates.map((c) => [c.serial, c.revocationReason, typeof c.revokedAt]),
      [[serial, 'keyCompromise', 'string']],
    );
    assert.ok(!JSON.stringify(json).includes(token), 'the token is never shown again');
  });

  it('enrolls with HTTP Basic (user = device ID) and refuses the token for another device ID', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const ca = await readFile(facts.rootCaPath);
    for (const id of ['meter-1', 'meter-2'])
      assert.equal((await admin.run(['device', 'create', '--id', id])).code, 0);
    const token = printedToken((await admin.run(['device', 'enroll-token', '--id', 'meter-1'])).out);

    const wrongUser = await simpleEnroll({
      deviceUrl: facts.deviceUrl,
      ca,
      csrDer: await makeCsr('meter-2'),
      authorization: basic('meter-2', token),
    });
    assert.equal(wrongUser.status, 401);
    const enrolled = await simpleEnroll({
      deviceUrl: facts.deviceUrl,
      ca,
      csrDer: await makeCsr('meter-1'),
      authorization: basic('meter-1', token),
    });
    assert.match(issuedCertificate(enrolled).subject, /CN=meter-1/);

    const listed = await admin.run(['device', 'list']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /^ID\s+GROUP\s+STATE\s+IDEVID\s+MANUFACTURER\s+UPDATED\n/);
    assert.match(listed.out, /\nmeter-1\s+default\s+enrolled\s+-\s+-\s+\S+\nmeter-2\s+default\s+claimed\s/);
  });

  it('claims devices by IDevID serial or fingerprint and lists them by group and state', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    assert.equal((await admin.run(['group', 'set', '--name', 'plant-a', '--level', 'SLE'])).code, 0);

    const bySerial = await admin.run(['device', 'claim', '--idevid-serial', 'SN-0042', '--group', 'plant-a']);
    assert.deepEqual(bySerial, {
      code: 0,
      out: 'claimed device SN-0042 (group plant-a): it may now enroll with its IDevID (serial SN-0042)\n',
      err: '',
    });
    const fingerprint = `${'AB:'.repeat(31)}CD`;
    const byFingerprint = await admin.run([
      'device',
      'claim',
      '--idevid-fingerprint',
      fingerprint,
      '--id',
      'pump-7',
    ]);
    assert.equal(byFingerprint.code, 0, byFingerprint.err);
    assert.match(
      byFingerprint.out,
      /^claimed device pump-7 \(group default\): .*\(sha256 abababababababab…\)\n$/,
    );
    const duplicate = await admin.run([
      'device',
      'claim',
      '--idevid-fingerprint',
      fingerprint.replaceAll(':', ''),
    ]);
    assert.equal(duplicate.code, 2);
    assert.match(duplicate.err, /\[DEVICE_EXISTS\]\n$/);

    const inPlant = JSON.parse((await admin.run(['device', 'list', '--group', 'plant-a', '--json'])).out) as {
      devices: ShownDevice['device'][];
    };
    assert.deepEqual(
      inPlant.devices.map((d) => [d.id, d.group, d.state, d.idevidSerial]),
      [['SN-0042', 'plant-a', 'claimed', 'SN-0042']],
    );
    const all = JSON.parse((await admin.run(['device', 'list', '--state', 'claimed', '--json'])).out) as {
      devices: ShownDevice['device'][];
    };
    assert.deepEqual(
      all.devices.map((d) => [d.id, d.idevidFingerprint]),
      [
        ['SN-0042', null],
        ['pump-7', `${'ab'.repeat(31)}cd`],
      ],
    );
    assert.equal(
      (await admin.run(['device', 'list', '--state', 'enrolled'])).out,
      'ID  GROUP  STATE  IDEVID  MANUFACTURER  UPDATED\n',
    );
  });

  it('decommissions a device for good: no token, no second decommission', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    await admin.run(['device', 'create', '--id', 'old-gw']);
    const done = await admin.run(['device', 'decommission', '--id', 'old-gw']);
    assert.deepEqual(done, {
      code: 0,
      out: 'decommissioned device old-gw: its certificates are revoked (cessationOfOperation) and it can never enroll again\n',
      err: '',
    });
    assert.match(
      (await admin.run(['device', 'show', '--id', 'old-gw'])).out,
      /\n {2}state {8}decommissioned\n[\s\S]*\nno certificates issued\n$/,
    );
    const token = await admin.run(['device', 'enroll-token', '--id', 'old-gw']);
    assert.deepEqual(token, {
      code: 2,
      out: '',
      err: 'palisade: device old-gw is decommissioned [DEVICE_STATE_CONFLICT]\n',
    });
    const twice = await admin.run(['device', 'decommission', '--id', 'old-gw']);
    assert.match(twice.err, /\[DEVICE_STATE_CONFLICT\]\n$/);
    const revoke = await admin.run(['device', 'revoke', '--id', 'old-gw']);
    assert.match(revoke.err, /\[DEVICE_STATE_CONFLICT\]\n$/);
  });

  it('passes the panel refusals through with their codes and exit 2', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await using viewer = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);

    const unknown = await admin.run(['device', 'enroll-token', '--id', 'ghost']);
    assert.deepEqual(unknown, { code: 2, out: '', err: 'palisade: no device ghost [DEVICE_NOT_FOUND]\n' });
    for (const argv of [
      ['device', 'show', '--id', 'ghost'],
      ['device', 'revoke', '--id', 'ghost'],
      ['device', 'decommission', '--id', 'ghost'],
    ]) {
      const result = await admin.run(argv);
      assert.deepEqual(
        result,
        { code: 2, out: '', err: 'palisade: no device ghost [DEVICE_NOT_FOUND]\n' },
        argv[1],
      );
    }
    await admin.run(['device', 'create', '--id', 'gw-1']);
    const duplicate = await admin.run(['device', 'create', '--id', 'gw-1']);
    assert.equal(duplicate.code, 2);
    assert.match(duplicate.err, /\[DEVICE_EXISTS\]\n$/);
    const noGroup = await admin.run(['device', 'create', '--id', 'gw-2', '--group', 'nowhere']);
    assert.deepEqual(noGroup, {
      code: 2,
      out: '',
      err: 'palisade: no device group nowhere [GROUP_NOT_FOUND]\n',
    });
    const badId = await admin.run(['device', 'create', '--id', 'bad id']);
    assert.equal(badId.code, 2);
    assert.match(badId.err, /^palisade: .*id.* \[VALIDATION_FAILED\]\n$/);
    const list = JSON.parse((await admin.run(['device', 'list', '--json'])).out) as { devices: unknown[] };
    assert.equal(list.devices.length, 1, 'no refused request left a device behind');

    await admin.run(['operator', 'create', '--username', 'vera', '--role', 'viewer', '--password-stdin'], {
      stdin: `${VIEWER_PASSWORD}\n`,
    });
    await viewer.login(facts, 'vera', `${VIEWER_PASSWORD}\n`);
    assert.equal((await viewer.run(['device', 'list'])).code, 0, 'a viewer reads the fleet');
    const forbidden = await viewer.run(['device', 'enroll-token', '--id', 'gw-1']);
    assert.deepEqual(forbidden, {
      code: 2,
      out: '',
      err: 'palisade: role viewer lacks permission fleet:manage [FORBIDDEN]\n',
    });
  });

  it('refuses bad arguments before contacting any panel', async () => {
    await using cli = await cliSandbox();
    const cases: Array<[string[], RegExp]> = [
      [['device', 'create'], /--id is required/],
      [
        ['device', 'revoke', '--id', 'x', '--reason', 'lost'],
        /--reason must be one of unspecified, keyCompromise, /,
      ],
      [
        ['device', 'list', '--state', 'broken'],
        /--state must be one of claimed, enrolled, revoked, decommissioned/,
      ],
      [['device', 'claim', '--id', 'x'], /give exactly one of --idevid-serial and --idevid-fingerprint/],
      [
        ['device', 'claim', '--idevid-serial', 'a', '--idevid-fingerprint', 'ab'.repeat(32)],
        /give exactly one of/,
      ],
      [
        ['device', 'claim', '--idevid-fingerprint', 'ab'.repeat(20)],
        /--idevid-fingerprint must be a SHA-256 fingerprint/,
      ],
      [['device', 'enroll-token', '--id', 'x', '--ttl', '1w'], /--ttl 1w is not a duration/],
      [['device', 'enroll-token', '--id', 'x', '--ttl', '30s'], /--ttl must be between 1m and 30d/],
      [['device', 'enroll-token', '--id', 'x', '--ttl', '31d'], /--ttl must be between 1m and 30d/],
      [['device', 'retire', '--id', 'x'], /unknown command 'device retire'/],
      [['device', 'show', '--id', 'x', '--verbose'], /Unknown option '--verbose'/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli.run(argv);
      assert.equal(result.code, 2, argv.join(' '));
      assert.equal(result.out, '');
      assert.match(result.err, message, argv.join(' '));
      assert.match(result.err, /\(see 'palisade device --help'\) \[USAGE\]\n$/, argv.join(' '));
    }
    const notLoggedIn = await cli.run(['device', 'list']);
    assert.match(notLoggedIn.err, /\[NOT_LOGGED_IN\]\n$/);
  });
});

describe('palisade device, group, enrollment and ca --help', () => {
  it('answers --help on every new command with its usage and exit 0', async () => {
    await using cli = await cliSandbox();
    const commands = [
      ['device'],
      ...['create', 'enroll-token', 'claim', 'list', 'show', 'revoke', 'decommission'].map((c) => [
        'device',
        c,
      ]),
      ['group'],
      ['group', 'list'],
      ['group', 'set'],
      ['enrollment'],
      ...['list', 'approve', 'reject'].map((c) => ['enrollment', c]),
      ['ca'],
      ['ca', 'manufacturer'],
      ...['trust', 'list', 'init'].map((c) => ['ca', 'manufacturer', c]),
      ['ca', 'issue-idevid'],
    ];
    for (const command of commands) {
      for (const flag of ['--help', '-h']) {
        const result = await cli.run([...command, flag]);
        assert.equal(result.code, 0, `${command.join(' ')} ${flag}`);
        assert.match(result.out, new RegExp(`^Usage: palisade ${command[0]} <command>`), command.join(' '));
        assert.equal(result.err, '');
      }
    }
    const top = await cli.run(['--help']);
    for (const name of ['device', 'group', 'enrollment', 'ca'])
      assert.match(top.out, new RegExp(`\\n {2}${name} `));
    const bare = await cli.run(['device']);
    assert.equal(bare.code, 2, 'no sub-command is a usage error');
    assert.match(bare.out, /^Usage: palisade device /);
  });
});
