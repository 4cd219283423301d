import { type BenchResult, headline } from './bench-result.ts';
import { roundFigure } from './stats.ts';

export const SUMMARY_HEADERS = ['name', 'key figure', 'reference', 'ratio', 'target', 'pass'] as const;

/** A benchmark that produced no result: it crashed, timed out or printed something unparsable. */
export interface BenchCrash {
  readonly name: string;
  readonly error: string;
}

/**
 * A plain-text table: columns padded to their widest cell, separated by
 * ` | `, with a dashed rule under the header. Cells are single-line.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (cell: string) => cell.replace(/\s+/g, ' ').trim();
  const all = [headers, ...rows].map((row) => headers.map((_, i) => clean(row[i] ?? '')));
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] as string).length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join(' | ')
      .trimEnd();
  const [head, ...body] = all as [string[], ...string[][]];
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function figureCell(figures: BenchResult['figures']): string {
  const { key, value } = headline(figures);
  return `${key} ${roundFigure(value)}`;
}

/** One row per benchmark, in the order given, crashes after results. */
export function summaryRows(
  results: readonly BenchResult[],
  crashes: readonly BenchCrash[] = [],
): string[][] {
  return [
    ...results.map((r) => [
      r.name,
      figureCell(r.figures),
      figureCell(r.reference.figures),
      String(roundFigure(r.ratio)),
      r.target.description,
      r.pass ? 'yes' : 'NO',
    ]),
    ...crashes.map((c) => [c.name, '-', '-', '-', '-', `CRASHED: ${truncate(c.error, 100)}`]),
  ];
}

export function formatSummary(results: readonly BenchResult[], crashes: readonly BenchCrash[] = []): string {
  return formatTable(SUMMARY_HEADERS, summaryRows(results, crashes));
}
