/**
 * `npm test`: runs every test file with Node's own runner and explicit globs,
 * and refuses a run that proves nothing: zero tests is a failure, and in
 * strict mode (PALISADE_TEST_STRICT=1, set by CI) so is any skipped test.
 *
 * Extra arguments are passed to `node --test` (e.g. `npm test -- --test-name-pattern=audit`);
 * file globs given as arguments replace the default ones.
 */
import { spawn } from 'node:child_process';

const DEFAULT_GLOBS = ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/lib/*.test.ts'];

const args = process.argv.slice(2);
const globs = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const strict = process.env.PALISADE_TEST_STRICT === '1';

const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    '--test-timeout=180000',
    ...flags,
    ...(globs.length > 0 ? globs : DEFAULT_GLOBS),
  ],
  { stdio: ['inherit', 'pipe', 'inherit'] },
);

// The summary is followed by the list of failing tests, so keep the whole output to find it.
let output = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString('utf8');
});

const exitCode: number = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));

function summary(name: string): number | undefined {
  // The last such line is the run's summary.
  const matches = [
    ...output.replaceAll('\u001b[', '\n\u001b[').matchAll(new RegExp(`^\\S*\\s*${name} (\\d+)$`, 'gm')),
  ];
  const last = matches.at(-1)?.[1];
  return last === undefined ? undefined : Number(last);
}

const tests = summary('tests');
const skipped = summary('skipped') ?? 0;
const todo = summary('todo') ?? 0;
if (tests === undefined || tests === 0) {
  process.stderr.write('run-tests: the run executed no test; that is a failure\n');
  process.exit(1);
}
if (strict && skipped + todo > 0) {
  process.stderr.write(
    `run-tests: strict mode: ${skipped} skipped and ${todo} todo test(s); every test must run\n`,
  );
  process.exit(1);
}
process.exit(exitCode);
