import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ownChild } from './owned-children.ts';

export interface BareFastifyProcess extends AsyncDisposable {
  readonly pid: number;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
}

/** Starts bench/lib/bare-fastify-server.ts as its own process and waits until it listens. */
export async function startBareFastify(options: {
  readonly keyPath: string;
  readonly certPath: string;
  readonly bodyPath: string;
  readonly route: string;
}): Promise<BareFastifyProcess> {
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, 'bare-fastify-server.ts'),
      options.keyPath,
      options.certPath,
      options.bodyPath,
      options.route,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  ownChild(child);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`bare Fastify server exited with ${code} before listening`)),
    );
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  lines.close();
  child.stdout.resume();
  return {
    pid: child.pid as number,
    url: `https://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
}
