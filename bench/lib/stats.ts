/**
 * Order statistics for benchmark samples. Pure functions, no I/O.
 */

/**
 * The p-th percentile (0 ≤ p ≤ 100) of the samples, by linear interpolation
 * between the two closest ranks (Hyndman & Fan type 7, the default of NumPy,
 * R and spreadsheets), so the median of an even count is the mean of the two
 * middle samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  if (samples.some((s) => !Number.isFinite(s))) throw new RangeError('samples must be finite numbers');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (rank - lower);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface SampleSummary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): SampleSummary {
  return {
    n: samples.length,
    min: percentile(samples, 0),
    median: percentile(samples, 50),
    mean: samples.reduce((sum, s) => sum + s, 0) / samples.length,
    max: percentile(samples, 100),
  };
}

/**
 * Rounds for reports: whole numbers from 100 up, 3 significant digits below,
 * so `1234.567 → 1235`, `12.345 → 12.3`, `0.51234 → 0.512`.
 */
export function roundFigure(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}
