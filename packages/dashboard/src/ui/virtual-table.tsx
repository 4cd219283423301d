import {
  type KeyboardEvent,
  type ReactNode,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';

/** Must equal --row in app.css: every row (and the header) has this height, which makes windowing exact. */
export const ROW_HEIGHT = 36;
/** Rows rendered beyond each edge of the viewport, so fast scrolling does not show blanks. */
const OVERSCAN = 8;

export interface VirtualColumn<T> {
  readonly key: string;
  readonly header: string;
  readonly render: (row: T) => ReactNode;
}

/**
 * A table that renders only the rows in view (plus a margin), so 10,000 or
 * 100,000 rows cost what 30 do. Two spacer rows stand for the rows above and
 * below; their heights are set through the CSSOM, not style attributes, which
 * the panel's CSP forbids. Keyboard: the table is one tab stop (ARIA grid with
 * aria-activedescendant); arrows, Page Up/Down, Home/End move the active row,
 * Enter opens it.
 */
export function VirtualTable<T>(props: {
  readonly rows: readonly T[];
  readonly columns: readonly VirtualColumn<T>[];
  readonly rowKey: (row: T) => string;
  readonly onOpen: (row: T) => void;
  readonly label: string;
  /** A class that sets the column widths (th:nth-child). */
  readonly tableClass: string;
  /** Told which rows are rendered, e.g. to fetch what they show. */
  readonly onRangeChange?: (rows: readonly T[]) => void;
}): ReactNode {
  const { rows, columns } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const above = useRef<HTMLTableCellElement>(null);
  const below = useRef<HTMLTableCellElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(-1);
  const frame = useRef<number | undefined>(undefined);
  const id = useId();

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // The sticky header takes one row's height at the top of the scrolled content.
  const bodyTop = Math.max(0, scrollTop - ROW_HEIGHT);
  const first = Math.min(rows.length, Math.max(0, Math.floor(bodyTop / ROW_HEIGHT) - OVERSCAN));
  const last = Math.min(rows.length, Math.ceil((bodyTop + height) / ROW_HEIGHT) + OVERSCAN);
  const visible = rows.slice(first, last);

  useLayoutEffect(() => {
    if (above.current) above.current.style.height = `${first * ROW_HEIGHT}px`;
    if (below.current) below.current.style.height = `${(rows.length - last) * ROW_HEIGHT}px`;
  }, [rows.length, first, last]);

  const onRangeChange = props.onRangeChange;
  // biome-ignore lint/correctness/useExhaustiveDependencies: report only when the window moves or the rows change.
  useEffect(() => {
    onRangeChange?.(visible);
  }, [first, last, rows, onRangeChange]);

  useEffect(() => {
    setActive((current) => (current >= rows.length ? -1 : current));
  }, [rows]);

  const onScroll = () => {
    frame.current ??= window.requestAnimationFrame(() => {
      frame.current = undefined;
      setScrollTop(viewport.current?.scrollTop ?? 0);
    });
  };

  const moveTo = (index: number) => {
    const target = Math.max(0, Math.min(rows.length - 1, index));
    setActive(target);
    const element = viewport.current;
    if (!element) return;
    const top = ROW_HEIGHT + target * ROW_HEIGHT;
    if (top - ROW_HEIGHT < element.scrollTop) element.scrollTop = top - ROW_HEIGHT;
    else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight)
      element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableElement>) => {
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 2);
    const moves: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + page,
      PageUp: active - page,
      Home: 0,
      End: rows.length - 1,
    };
    const next = moves[event.key];
    if (next !== undefined && rows.length > 0) {
      event.preventDefault();
      moveTo(next);
    } else if (event.key === 'Enter' && rows[active] !== undefined) {
      event.preventDefault();
      props.onOpen(rows[active] as T);
    }
  };

  return (
    <div ref={viewport} className="vtable-viewport" onScroll={onScroll}>
      <table
        className={`vtable ${props.tableClass}`}
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: a table may take the grid role (WAI-ARIA APG data grid); virtualized rows need aria-activedescendant, which only a grid has.
        role="grid"
        aria-label={props.label}
        aria-rowcount={rows.length + 1}
        aria-activedescendant={rows[active] !== undefined ? `${id}-${active}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onFocus={() => active < 0 && rows.length > 0 && setActive(first === 0 ? 0 : first + OVERSCAN)}
      >
        <thead>
          <tr aria-rowindex={1}>
            {columns.map((column) => (
              <th key={column.key} scope="col" className="vt-head">
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {/* biome-ignore lint/a11y/noInteractiveElementToNoninteractiveRole: a spacer standing for rows not rendered is not a row. */}
          <tr role="presentation" className="vtable-spacer">
            <td ref={above} colSpan={columns.length} className="vt-spacer" />
          </tr>
          {visible.map((row, offset) => {
            const index = first + offset;
            return (
              <tr
                key={props.rowKey(row)}
                id={`${id}-${index}`}
                aria-rowindex={index + 2}
                aria-selected={index === active}
                className={index === active ? 'vt-row vt-active' : 'vt-row'}
                onClick={(event) => {
                  setActive(index);
                  // A link in the row navigates by itself (and may open a new tab).
                  if (!(event.target as Element).closest('a')) props.onOpen(row);
                }}
              >
                {columns.map((column) => (
                  <td key={column.key} className="vt-cell">
                    {column.render(row)}
                  </td>
                ))}
              </tr>
            );
          })}
          {/* biome-ignore lint/a11y/noInteractiveElementToNoninteractiveRole: a spacer standing for rows not rendered is not a row. */}
          <tr role="presentation" className="vtable-spacer">
            <td ref={below} colSpan={columns.length} className="vt-spacer" />
          </tr>
        </tbody>
      </table>
    </div>
  );
}
