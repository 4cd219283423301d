import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { epochMs, tailLines } from './line-tail.ts';

const dir = await mkdtemp(join(tmpdir(), 'palisade-line-tail-'));
after(() => rm(dir, { recursive: true, force: true }));

describe('tailLines', () => {
  it('hands over complete lines only, from the given offset, with the time they were read', async () => {
    const file = join(dir, 'a.log');
    await writeFile(file, 'old line\n');
    const seen: string[] = [];
    const times: number[] = [];
    const before = epochMs();
    const tail = await tailLines(file, {
      onLines: (lines, at) => {
        seen.push(...lines);
        times.push(at);
      },
    });
    await appendFile(file, 'one\ntw');
    await appendFile(file, 'o\nthree\n');
    await tail.waitFor(3, 2000);
    await tail.stop();
    assert.deepEqual(seen, ['one', 'two', 'three']);
    assert.equal(tail.lines, 3);
    assert.ok(times.every((t) => t >= before && t <= epochMs()));
    assert.ok((tail.firstSeenAt ?? 0) <= (tail.lastSeenAt ?? 0));
  });

  it('waits for a file that does not exist yet and reads it from its start', async () => {
    const file = join(dir, 'later.log');
    const tail = await tailLines(file, { fromOffset: 0 });
    await writeFile(file, 'first\nsecond\n');
    await tail.waitFor(2, 2000);
    await tail.stop();
    assert.equal(tail.lines, 2);
  });

  it('rejects waitFor when no new line comes within the idle timeout', async () => {
    const file = join(dir, 'idle.log');
    await writeFile(file, '');
    const tail = await tailLines(file);
    await appendFile(file, 'only\n');
    await assert.rejects(tail.waitFor(2, 300), /1 of 2 lines, none new for 300 ms/);
    await tail.stop();
  });
});
