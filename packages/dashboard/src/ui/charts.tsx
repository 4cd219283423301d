import type { ReactNode } from 'react';
import { Link } from '../app/router.tsx';
import { formatCount } from './format.ts';

/**
 * Charts as plain SVG: sizes are attributes, not style, so they pass the
 * panel's CSP (style-src 'self'), and each chart carries a text equivalent.
 */

export interface Segment {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  /** A CSS class suffix: fill-<tone> and swatch-<tone>. */
  readonly tone: string;
}

/** One horizontal bar split into segments, scaled to `total` (default: their sum). */
export function SegmentBar(props: {
  readonly segments: readonly Segment[];
  readonly total?: number;
  readonly label: string;
}): ReactNode {
  const total = props.total ?? props.segments.reduce((sum, s) => sum + s.value, 0);
  let x = 0;
  const description = props.segments.map((s) => `${s.label} ${formatCount(s.value)}`).join(', ');
  return (
    <svg
      className="bar"
      viewBox="0 0 100 10"
      preserveAspectRatio="none"
      role="img"
      aria-label={`${props.label}: ${description}`}
    >
      <rect className="fill-track" x={0} y={0} width={100} height={10} />
      {props.segments.map((segment) => {
        const width = total === 0 ? 0 : (segment.value / total) * 100;
        const rect = (
          <rect key={segment.key} className={`fill-${segment.tone}`} x={x} y={0} width={width} height={10} />
        );
        x += width;
        return rect;
      })}
    </svg>
  );
}

export function Legend(props: {
  readonly segments: readonly Segment[];
  readonly hideValues?: boolean;
}): ReactNode {
  return (
    <div className="legend">
      {props.segments.map((s) => (
        <span key={s.key}>
          <span className={`swatch swatch-${s.tone}`} />
          {s.label}
          {props.hideValues ? null : `: ${formatCount(s.value)}`}
        </span>
      ))}
    </div>
  );
}

export interface BarItem {
  readonly key: string;
  readonly label: ReactNode;
  readonly value: number;
  readonly tone: string;
  readonly href?: string;
}

/** Labelled bars against the largest value (or `max`), with the number beside each. */
export function BarList(props: {
  readonly items: readonly BarItem[];
  readonly max?: number;
  readonly label: string;
}): ReactNode {
  const max = props.max ?? Math.max(1, ...props.items.map((i) => i.value));
  return (
    <ul className="bar-list" aria-label={props.label}>
      {props.items.map((item) => (
        <li key={item.key}>
          <span>{item.href ? <Link to={item.href}>{item.label}</Link> : item.label}</span>
          <svg className="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect className="fill-track" x={0} y={0} width={100} height={10} />
            <rect className={`fill-${item.tone}`} x={0} y={0} width={(item.value / max) * 100} height={10} />
          </svg>
          <span className="value">{formatCount(item.value)}</span>
        </li>
      ))}
    </ul>
  );
}

export interface Column {
  readonly key: string;
  readonly label: string;
  readonly values: Readonly<Record<string, number>>;
}

/** Stacked columns over time (events per hour by severity band); `keys` from bottom to top. */
export function StackedColumns(props: {
  readonly columns: readonly Column[];
  readonly keys: readonly string[];
  readonly label: string;
  readonly tickEvery?: number;
}): ReactNode {
  const width = 720;
  const height = 180;
  const bottom = 20;
  const left = 36;
  const plotHeight = height - bottom - 8;
  const totals = props.columns.map((c) => props.keys.reduce((sum, k) => sum + (c.values[k] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = (width - left) / Math.max(1, props.columns.length);
  const tickEvery = props.tickEvery ?? 3;
  const summary = props.columns.map((c, i) => `${c.label}: ${totals[i] ?? 0}`).join('; ');
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${props.label}. ${summary}`}
    >
      <line className="axis" x1={left} x2={width} y1={height - bottom} y2={height - bottom} />
      <text x={left - 6} y={12} textAnchor="end">
        {formatCount(max)}
      </text>
      <text x={left - 6} y={height - bottom} textAnchor="end">
        0
      </text>
      {props.columns.map((column, index) => {
        let y = height - bottom;
        const x = left + index * step + 1;
        return (
          <g key={column.key}>
            {props.keys.map((key) => {
              const h = ((column.values[key] ?? 0) / max) * plotHeight;
              y -= h;
              return h > 0 ? (
                <rect
                  key={key}
                  className={`fill-${key}`}
                  x={x}
                  y={y}
                  width={Math.max(1, step - 2)}
                  height={h}
                />
              ) : null;
            })}
            {index % tickEvery === 0 ? (
              <text x={x} y={height - 5}>
                {column.label}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
