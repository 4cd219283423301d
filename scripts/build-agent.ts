/**
 * `npm run build:agent`: the agent as one ES module, `dist/palisade-agent.mjs`,
 * for devices. Running TypeScript directly costs the agent ~50 MiB of memory
 * (the type stripper and per-file compilation); the bundle is plain
 * JavaScript. Native addons (pkcs11js) stay outside and load from
 * node_modules beside it. Generated output: never committed (dist/ is ignored).
 */
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const result = await build({
  entryPoints: [`${root}packages/cli/src/agent-main.ts`],
  outfile: `${root}dist/palisade-agent.mjs`,
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
process.stdout.write(`dist/palisade-agent.mjs: ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`);
