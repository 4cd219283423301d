import assert from 'node:assert/strict';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type ConfigPolicy, parsePolicyDocument } from '@palisade/core';
import { ConfigApplier } from './config-applier.ts';
import { writeConfigFiles } from './config-files.ts';
import { PolicyApplyError, type PolicyApplyErrorCode } from './policy-apply-error.ts';
import type { AccountFiles } from './unix-accounts.ts';

const asRoot = process.getuid?.() === 0 ? false : 'not root: setting a file owner needs CAP_CHOWN';

const rejectsWith = (promise: Promise<unknown>, code: PolicyApplyErrorCode, message?: RegExp) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PolicyApplyError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });

describe('ConfigApplier', { skip: asRoot }, () => {
  let work: string;
  let managed: string;
  let outside: string;
  let accounts: AccountFiles;
  let applier: ConfigApplier;

  const policy = (files: unknown[], values?: Record<string, unknown>) =>
    parsePolicyDocument('config', { files, ...(values ? { values } : {}) }) as ConfigPolicy;
  const modbus = () => ({
    path: join(managed, 'plc/modbus.conf'),
    content: 'unit_id = 17\n',
    mode: '0640',
    owner: 'plc',
    group: 'ops',
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-config-policy-'));
    accounts = { passwd: join(work, 'passwd'), group: join(work, 'group') };
    await writeFile(
      accounts.passwd,
      'root:x:0:0:root:/root:/bin/sh\nplc:x:4242:4243::/nonexistent:/usr/sbin/nologin\n',
    );
    await writeFile(accounts.group, 'root:x:0:\nplc:x:4243:\nops:x:4300:plc\n');
  });
  after(() => rm(work, { recursive: true, force: true }));
  beforeEach(async () => {
    const case_ = await mkdtemp(join(work, 'case-'));
    managed = join(case_, 'managed');
    outside = join(case_, 'outside');
    await mkdir(outside);
    applier = new ConfigApplier({ allowedDirectories: [managed], accounts });
  });

  it('writes each file with its content, exact mode and owner, creating the directories below the allowed one', async () => {
    const document = policy([
      modbus(),
      // 0660 despite the process umask (022 would make it 0640).
      { path: join(managed, 'shared.conf'), content: 'x', mode: '0660', group: 'ops' },
      {
        path: join(managed, 'splash.bin'),
        contentBase64: Buffer.from([0, 1, 2, 255]).toString('base64'),
        mode: '0644',
      },
    ]);
    const outcome = await applier.apply(document);
    assert.equal(outcome.outcome, 'applied');
    const conf = await stat(join(managed, 'plc/modbus.conf'));
    assert.equal(await readFile(join(managed, 'plc/modbus.conf'), 'utf8'), 'unit_id = 17\n');
    assert.deepEqual([conf.mode & 0o7777, conf.uid, conf.gid], [0o640, 4242, 4300]);
    const shared = await stat(join(managed, 'shared.conf'));
    assert.deepEqual([shared.mode & 0o7777, shared.uid, shared.gid], [0o660, 0, 4300]);
    assert.deepEqual([...(await readFile(join(managed, 'splash.bin')))], [0, 1, 2, 255]);
    assert.deepEqual(
      (await readdir(join(managed, 'plc'))).filter((name) => name.includes('palisade-tmp')),
      [],
      'no temporary file left behind',
    );
    assert.equal(
      await applier.drift(document, outcome.liveStateHash),
      undefined,
      'the recorded hash is the live state',
    );
  });

  it('refuses a path outside the allowed directories, writing none of the policy’s files', async () => {
    await rejectsWith(
      applier.apply(policy([modbus(), { path: join(outside, 'x.conf'), content: 'x', mode: '0644' }])),
      'CONFIG_PATH_REFUSED',
      /is outside the directories this device lets policies write/,
    );
    await assert.rejects(lstat(join(managed, 'plc/modbus.conf')), { code: 'ENOENT' });
    assert.deepEqual(await readdir(outside), []);
  });

  it('refuses /etc/shadow even though the policy is valid and signed: the allow-list is the device’s', async () => {
    await rejectsWith(
      applier.apply(policy([{ path: '/etc/shadow', content: 'root::0:0:::::\n', mode: '0640' }])),
      'CONFIG_PATH_REFUSED',
    );
  });

  it('never follows a symbolic link below the allowed directory out of it', async () => {
    await mkdir(managed, { recursive: true });
    await symlink(outside, join(managed, 'escape'));
    await rejectsWith(
      applier.apply(policy([{ path: join(managed, 'escape/evil.conf'), content: 'x', mode: '0644' }])),
      'CONFIG_PATH_REFUSED',
      /escape is a symbolic link/,
    );
    assert.deepEqual(await readdir(outside), []);
  });

  it('replaces a symbolic link in a file’s place instead of writing through it', async () => {
    await mkdir(managed, { recursive: true });
    await writeFile(join(outside, 'target'), 'untouched');
    await symlink(join(outside, 'target'), join(managed, 'app.conf'));
    await applier.apply(policy([{ path: join(managed, 'app.conf'), content: 'managed', mode: '0644' }]));
    assert.equal(await readFile(join(outside, 'target'), 'utf8'), 'untouched');
    assert.ok((await lstat(join(managed, 'app.conf'))).isFile());
  });

  it('refuses an owner or group the device does not have, before writing anything', async () => {
    await rejectsWith(
      applier.apply(policy([{ ...modbus(), owner: 'historian' }])),
      'CONFIG_OWNER_UNKNOWN',
      /user historian does not exist/,
    );
    await rejectsWith(
      applier.apply(policy([{ ...modbus(), group: 'scada' }])),
      'CONFIG_OWNER_UNKNOWN',
      /group scada/,
    );
    await assert.rejects(lstat(managed), { code: 'ENOENT' });
  });

  it('detects an edited, re-moded or deleted file as drift, naming it, and repairs it by applying again', async () => {
    const document = policy([modbus(), { path: join(managed, 'b.conf'), content: 'b', mode: '0644' }]);
    const { liveStateHash } = await applier.apply(document);
    const conf = join(managed, 'plc/modbus.conf');
    await writeFile(conf, 'unit_id = 99\n');
    const drift = await applier.drift(document, liveStateHash);
    assert.ok(drift);
    assert.equal(drift.expected, liveStateHash);
    assert.notEqual(drift.actual, liveStateHash);
    assert.equal(drift.event.type, 'config.drift');
    assert.deepEqual(drift.event.body.paths, [conf]);
    const repaired = await applier.apply(document);
    assert.equal(repaired.liveStateHash, liveStateHash);
    assert.equal(await readFile(conf, 'utf8'), 'unit_id = 17\n');
    await chmod(conf, 0o600);
    assert.deepEqual((await applier.drift(document, liveStateHash))?.event.body.paths, [conf]);
    await rm(join(managed, 'b.conf'));
    assert.deepEqual((await applier.drift(document, liveStateHash))?.event.body.paths, [
      conf,
      join(managed, 'b.conf'),
    ]);
  });
});

describe('writeConfigFiles', { skip: asRoot }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-config-files-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('puts back the files it already replaced when a later one cannot be put in place', async () => {
    const first = join(dir, 'first.conf');
    await writeFile(first, 'old', { mode: 0o600 });
    const blocker = join(dir, 'blocker');
    await mkdir(blocker);
    await writeFile(join(blocker, 'keep'), 'x');
    await rejectsWith(
      writeConfigFiles([
        { path: first, bytes: Buffer.from('new'), mode: 0o644, uid: 0, gid: 0 },
        // rename(2) over a non-empty directory fails after the first file was replaced.
        { path: blocker, bytes: Buffer.from('y'), mode: 0o644, uid: 0, gid: 0 },
      ]),
      'CONFIG_WRITE_FAILED',
      /the files already replaced were put back/,
    );
    assert.equal(await readFile(first, 'utf8'), 'old');
    assert.equal((await stat(first)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ['blocker', 'first.conf']);
  });
});
