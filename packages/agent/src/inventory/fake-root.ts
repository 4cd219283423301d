/**
 * Test support (not exported): fake filesystem roots for collectInventory and
 * a stand-in for lsblk/dmsetup. Lives here rather than in testkit because
 * nothing outside the inventory needs it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CommandRunner } from './command-runner.ts';

export type FakeFiles = Readonly<Record<string, string | Uint8Array>>;

export class FakeRoots implements AsyncDisposable {
  readonly #base: string;
  #count = 0;

  private constructor(base: string) {
    this.#base = base;
  }

  static async create(): Promise<FakeRoots> {
    return new FakeRoots(await mkdtemp(join(tmpdir(), 'palisade-inventory-')));
  }

  /** A fresh directory holding `files` (absolute in-root path → content). */
  async root(files: FakeFiles = {}): Promise<string> {
    const root = join(this.#base, `root-${this.#count++}`);
    await mkdir(root);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return root;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await rm(this.#base, { recursive: true, force: true });
  }
}

/** Answers each program with its canned output or error; any other program is "not installed". */
export function stubRun(outputs: Readonly<Record<string, string | Error>>): CommandRunner {
  return async (file) => {
    const output = outputs[file];
    if (output === undefined) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
    if (output instanceof Error) throw output;
    return { stdout: output };
  };
}
