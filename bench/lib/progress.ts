import { performance } from 'node:perf_hooks';

/**
 * Progress notes on stderr (stdout carries only the result document):
 * `[cold-start +12.3 s] warm restart 2/5: 812 ms`.
 */
export function progressReporter(name: string): (message: string) => void {
  const started = performance.now();
  return (message) => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`[${name} +${elapsed} s] ${message}\n`);
  };
}
