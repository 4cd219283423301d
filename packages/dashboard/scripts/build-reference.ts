/**
 * Builds the reference app of bench/dashboard.bench.ts (reference/: a React
 * hello world) with the dashboard's own Vite and plugin, into `outDir`.
 *
 *   node packages/dashboard/scripts/build-reference.ts <outDir>
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: build-reference.ts <outDir>\n');
  process.exit(2);
}
const root = join(fileURLToPath(new URL('..', import.meta.url)), 'reference');
await build({
  root,
  configFile: false,
  logLevel: 'silent',
  plugins: [react()],
  build: {
    outDir: resolve(outDir),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
