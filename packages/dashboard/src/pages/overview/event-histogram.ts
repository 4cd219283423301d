import type { SecurityEvent } from '../../api/api-types.ts';
import type { Column } from '../../ui/charts.tsx';
import { SEVERITY_BANDS, type SeverityBand, severityBand } from '../../ui/format.ts';

export interface HistogramRange {
  readonly key: string;
  readonly label: string;
  readonly bucketMs: number;
  readonly buckets: number;
  readonly tickEvery: number;
}

export const RANGES: readonly HistogramRange[] = [
  { key: 'hour', label: 'Last hour, per minute', bucketMs: 60_000, buckets: 60, tickEvery: 10 },
  { key: 'day', label: 'Last 24 hours, per hour', bucketMs: 3_600_000, buckets: 24, tickEvery: 3 },
];

/** Counts per time bucket and severity band up to `now`, by the time the source reported. */
export class EventHistogram {
  readonly range: HistogramRange;
  #start: number;
  readonly #counts: Array<Record<SeverityBand, number>>;

  constructor(now: number, range: HistogramRange) {
    this.range = range;
    this.#start = Math.floor(now / range.bucketMs) * range.bucketMs - (range.buckets - 1) * range.bucketMs;
    this.#counts = Array.from({ length: range.buckets }, () => ({
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      info: 0,
    }));
  }

  /** The first instant the histogram counts. */
  get from(): Date {
    return new Date(this.#start);
  }

  /** Moves the window forward to end at `now`: older buckets drop out, empty ones come in. Answers whether it moved. */
  advance(now: number): boolean {
    const start =
      Math.floor(now / this.range.bucketMs) * this.range.bucketMs -
      (this.range.buckets - 1) * this.range.bucketMs;
    const steps = Math.round((start - this.#start) / this.range.bucketMs);
    if (steps <= 0) return false;
    this.#counts.splice(0, Math.min(steps, this.#counts.length));
    while (this.#counts.length < this.range.buckets)
      this.#counts.push({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });
    this.#start = start;
    return true;
  }

  /** Adds an event; answers false when it falls outside the window. */
  add(event: SecurityEvent): boolean {
    const index = Math.floor((Date.parse(event.occurredAt) - this.#start) / this.range.bucketMs);
    const bucket = this.#counts[index];
    if (!bucket) return false;
    bucket[severityBand(event.severity)] += 1;
    return true;
  }

  get total(): number {
    return this.#counts.reduce((sum, c) => sum + SEVERITY_BANDS.reduce((s, b) => s + c[b], 0), 0);
  }

  columns(): Column[] {
    return this.#counts.map((values, index) => {
      const at = new Date(this.#start + index * this.range.bucketMs);
      const hh = String(at.getHours()).padStart(2, '0');
      const mm = String(at.getMinutes()).padStart(2, '0');
      return { key: String(at.getTime()), label: `${hh}:${mm}`, values: { ...values } };
    });
  }
}
