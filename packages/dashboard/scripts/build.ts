/**
 * Builds the dashboard into dist/ (`npm run build:dashboard`; `npm start`
 * runs it with --if-stale). Writes .br and .gz beside each text asset so the
 * panel serves them pre-compressed.
 *
 *   node packages/dashboard/scripts/build.ts [--if-stale] [--quiet]
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json'];
const COMPRESSIBLE = /\.(?:js|css|html|svg|json)$/;

async function* files(path: string): AsyncGenerator<string> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    yield path;
    return;
  }
  for (const entry of await readdir(path)) yield* files(join(path, entry));
}

async function newestInput(): Promise<number> {
  let newest = 0;
  for (const input of INPUTS)
    for await (const file of files(join(ROOT, input))) newest = Math.max(newest, (await stat(file)).mtimeMs);
  return newest;
}

/** True when dist/ is missing or older than any source: a build is needed. */
export async function dashboardIsStale(): Promise<boolean> {
  const built = await stat(join(DIST, 'index.html')).catch(() => undefined);
  return built === undefined || built.mtimeMs < (await newestInput());
}

async function precompress(): Promise<number> {
  let count = 0;
  for await (const file of files(DIST)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const body = await readFile(file);
    if (body.length < 1024) continue;
    await writeFile(`${file}.gz`, gzipSync(body, { level: 9 }));
    await writeFile(
      `${file}.br`,
      brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
    count += 1;
  }
  return count;
}

/** Builds dist/ (unless `ifStale` and it is current); answers whether it built. */
export async function buildDashboard(options: { ifStale?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (options.ifStale && !(await dashboardIsStale())) {
    if (!options.quiet) console.log('dashboard: dist/ is up to date');
    return false;
  }
  const started = performance.now();
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: options.quiet ? 'silent' : 'warn' });
  const compressed = await precompress();
  // The index is written last, so its time stamp marks a complete build for --if-stale.
  const index = join(DIST, 'index.html');
  await writeFile(index, await readFile(index));
  if (!options.quiet)
    console.log(
      `dashboard: built ${relative(process.cwd(), DIST) || DIST} in ${Math.round(performance.now() - started)} ms (${compressed} files pre-compressed)`,
    );
  return true;
}

if (import.meta.main) {
  await buildDashboard({
    ifStale: process.argv.includes('--if-stale'),
    quiet: process.argv.includes('--quiet'),
  });
}
