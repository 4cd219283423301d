import type { MachineFacts } from './machine.ts';

/** A measured value: a number, or the raw samples behind a summary. */
export type Figure = number | readonly number[];

/**
 * Figures in insertion order; the first one is the headline figure that the
 * summary table shows, and must be a single number.
 */
export type Figures = Readonly<Record<string, Figure>>;

/** What one benchmark prints to stdout: one JSON document, nothing else. */
export interface BenchResult {
  readonly name: string;
  readonly machine: MachineFacts;
  readonly figures: Figures;
  /** A baseline measured in the same run on the same machine. */
  readonly reference: { readonly what: string; readonly figures: Figures };
  /** Headline figure divided by the reference's headline figure. */
  readonly ratio: number;
  readonly target: { readonly description: string; readonly value: number };
  readonly pass: boolean;
  readonly method: string;
}

export class BenchResultError extends Error {
  override readonly name = 'BenchResultError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFigure(value: unknown): value is Figure {
  return (
    (typeof value === 'number' && Number.isFinite(value)) ||
    (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)))
  );
}

function figureProblems(value: unknown, path: string): string[] {
  if (!isRecord(value)) return [`${path} must be an object`];
  const entries = Object.entries(value);
  if (entries.length === 0) return [`${path} must hold at least one figure`];
  const problems = entries
    .filter(([, figure]) => !isFigure(figure))
    .map(([key]) => `${path}.${key} must be a finite number or an array of them`);
  if (typeof entries[0]?.[1] !== 'number')
    problems.push(`${path}: the first (headline) figure must be a number`);
  return problems;
}

/**
 * Parses a benchmark's stdout into a result, or throws naming every field
 * that is missing or malformed.
 */
export function parseBenchResult(text: string): BenchResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BenchResultError(`stdout is not one JSON document: ${(error as Error).message}`);
  }
  if (!isRecord(value)) throw new BenchResultError('stdout must be a JSON object');
  const problems: string[] = [];
  if (typeof value.name !== 'string' || value.name === '') problems.push('name must be a non-empty string');
  const machine = value.machine;
  if (!isRecord(machine)) problems.push('machine must be an object');
  else {
    for (const key of ['cpus', 'memoryGiB'])
      if (typeof machine[key] !== 'number') problems.push(`machine.${key} must be a number`);
    for (const key of ['cpuModel', 'node', 'openssl', 'os'])
      if (typeof machine[key] !== 'string') problems.push(`machine.${key} must be a string`);
  }
  problems.push(...figureProblems(value.figures, 'figures'));
  const reference = value.reference;
  if (!isRecord(reference)) problems.push('reference must be an object');
  else {
    if (typeof reference.what !== 'string') problems.push('reference.what must be a string');
    problems.push(...figureProblems(reference.figures, 'reference.figures'));
  }
  if (typeof value.ratio !== 'number' || !Number.isFinite(value.ratio))
    problems.push('ratio must be a finite number');
  const target = value.target;
  if (!isRecord(target)) problems.push('target must be an object');
  else {
    if (typeof target.description !== 'string') problems.push('target.description must be a string');
    if (typeof target.value !== 'number') problems.push('target.value must be a number');
  }
  if (typeof value.pass !== 'boolean') problems.push('pass must be a boolean');
  if (typeof value.method !== 'string') problems.push('method must be a string');
  if (problems.length > 0) throw new BenchResultError(`invalid benchmark result: ${problems.join('; ')}`);
  return value as unknown as BenchResult;
}

/** The headline figure: the first one, by the convention above. */
export function headline(figures: Figures): { readonly key: string; readonly value: number } {
  const first = Object.entries(figures)[0];
  if (!first || typeof first[1] !== 'number') throw new BenchResultError('no headline figure');
  return { key: first[0], value: first[1] };
}

/** Prints the result as the benchmark's only stdout output. */
export function emitResult(result: BenchResult): void {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
