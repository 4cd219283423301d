import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StorageError } from '../db/index.ts';
import { acquireDataDirLock, LOCK_FILE } from './data-dir-lock.ts';

describe('acquireDataDirLock', () => {
  it('refuses a second holder while the first lives, and frees the directory on release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-lock-'));
    const lock = await acquireDataDirLock(dir, 'test');
    await assert.rejects(acquireDataDirLock(dir, 'test'), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'DATA_DIR_LOCKED');
      assert.equal(error.details?.pid, process.pid);
      return true;
    });
    await lock.release();
    const again = await acquireDataDirLock(dir, 'test');
    await again.release();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-lock-'));
    const gone = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: Number(gone), hostname: hostname(), startedAt: 'earlier' }),
    );
    const lock = await acquireDataDirLock(dir, 'test');
    assert.equal(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    await lock.release();
  });

  it('does not release a lock that another process has since taken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-lock-'));
    const lock = await acquireDataDirLock(dir, 'test');
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, hostname: hostname(), startedAt: 'now' }));
    await lock.release();
    assert.equal(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid, 1);
  });
});
