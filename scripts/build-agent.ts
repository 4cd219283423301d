/**
 * `npm run build:agent`: the agent as plain JavaScript for devices,
 * `dist/agent/palisade-agent.mjs` and the chunks it loads on demand (the
 * PKCS#11 and TPM roots, the X.509 stack at enrollment). Running TypeScript directly costs the agent ~50 MiB of memory
 * (the type stripper and per-file compilation); the bundle is plain
 * JavaScript. Native addons (pkcs11js) stay outside and load from
 * node_modules beside it. Generated output: never committed (dist/ is ignored).
 */
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const result = await build({
  entryPoints: [`${root}packages/cli/src/agent-main.ts`],
  outdir: `${root}dist/agent`,
  entryNames: 'palisade-agent',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  // Dynamic imports stay lazy: a code-split chunk is read only when first needed.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: ['pkcs11js'],
  // Bundled CommonJS dependencies still call require(); give them one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
process.stdout.write(`dist/agent/palisade-agent.mjs and chunks: ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`);
