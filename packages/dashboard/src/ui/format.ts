const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const DATE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit' });
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const NUMBER = new Intl.NumberFormat();

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE_TIME.format(date);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE.format(date);
}

/** "3 min ago", "in 2 days": how people read recency. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const steps: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of steps)
    if (Math.abs(seconds) >= size) return RELATIVE.format(Math.round(seconds / size), unit);
  return RELATIVE.format(seconds, 'second');
}

export function formatCount(value: number): string {
  return NUMBER.format(value);
}

export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 100);
}

/** The event scale's bands (docs/events-and-siem.md#severity), for colour and grouping. */
export type SeverityBand = 'info' | 'low' | 'medium' | 'high' | 'critical';

export function severityBand(severity: number): SeverityBand {
  if (severity >= 9) return 'critical';
  if (severity >= 7) return 'high';
  if (severity >= 5) return 'medium';
  if (severity >= 3) return 'low';
  return 'info';
}

export const SEVERITY_BANDS: readonly SeverityBand[] = ['critical', 'high', 'medium', 'low', 'info'];

export const LEVEL_NAMES: Readonly<Record<string, string>> = {
  SLB: 'Basic',
  SLE: 'Enhanced',
  SLC: 'Critical',
};
