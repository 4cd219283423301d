import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleSize {
  /** What index.html loads before anything renders: the entry script, its preloads and the CSS. */
  readonly initialFiles: readonly string[];
  readonly initialBytes: number;
  readonly initialGzipBytes: number;
  /** Every emitted script and stylesheet (lazy page chunks included). */
  readonly allGzipBytes: number;
}

const gzipLength = (body: Buffer) => gzipSync(body, { level: 9 }).length;

/**
 * The size of a Vite build as the browser fetches it, gzip level 9 (the
 * pre-compressed .gz files the panel serves are made the same way); only
 * .js and .css count, the .gz/.br copies are skipped.
 */
export async function bundleSize(distDir: string): Promise<BundleSize> {
  const html = await readFile(join(distDir, 'index.html'), 'utf8');
  const initialFiles = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map(
    (m) => m[1] ?? '',
  );
  let initialBytes = Buffer.byteLength(html);
  let initialGzipBytes = gzipLength(Buffer.from(html));
  for (const file of initialFiles) {
    const body = await readFile(join(distDir, file));
    initialBytes += body.length;
    initialGzipBytes += gzipLength(body);
  }
  let allGzipBytes = 0;
  for (const file of await readdir(join(distDir, 'assets')))
    if (/\.(?:js|css)$/.test(file)) allGzipBytes += gzipLength(await readFile(join(distDir, 'assets', file)));
  return { initialFiles, initialBytes, initialGzipBytes, allGzipBytes };
}
