import { type ReactNode, useMemo, useRef } from 'react';
import type { PointerProblem } from '../api/api-problem.ts';
import { locatePointer } from './json-locate.ts';

/** Line height of textarea.code in app.css, in pixels (0.85rem × 1.45 at 15 px): to scroll a problem into view. */
const LINE_PX = 18.5;

/** The JSON in `text`, or the parser's message. */
export function parseJson(
  text: string,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A JSON document editor: a plain textarea (nothing to load, nothing
 * inline), the syntax checked as you type, and the panel's validation
 * problems listed by JSON pointer with their line; choosing one selects
 * that value in the text.
 */
export function JsonEditor(props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange?: (text: string) => void;
  readonly problems?: readonly PointerProblem[];
  /** Stripped from problem paths that point into the request rather than the document (e.g. "/document"). */
  readonly pointerPrefix?: string;
  readonly rows?: number;
}): ReactNode {
  const area = useRef<HTMLTextAreaElement>(null);
  const syntax = useMemo(() => parseJson(props.value), [props.value]);
  const problems = (props.problems ?? []).map((problem) => {
    const prefix = props.pointerPrefix;
    const pointer =
      prefix && problem.path.startsWith(prefix) ? problem.path.slice(prefix.length) : problem.path;
    return { ...problem, pointer, span: locatePointer(props.value, pointer) };
  });

  const select = (start: number, end: number, line: number) => {
    const element = area.current;
    if (!element) return;
    element.focus();
    element.setSelectionRange(start, end);
    element.scrollTop = Math.max(0, (line - 3) * LINE_PX);
  };

  return (
    <div className="json-editor">
      <label htmlFor={props.id}>{props.label}</label>
      <textarea
        ref={area}
        id={props.id}
        className="code"
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        rows={props.rows ?? 24}
        readOnly={props.onChange === undefined}
        value={props.value}
        onChange={(e) => props.onChange?.(e.target.value)}
        aria-invalid={!syntax.ok || problems.length > 0}
        aria-describedby={`${props.id}-problems`}
      />
      <div id={`${props.id}-problems`} aria-live="polite">
        {syntax.ok ? null : <p className="error">Not valid JSON: {syntax.message}</p>}
        {problems.length > 0 ? (
          <>
            <p className="error">
              The panel refused the document: {problems.length} problem{problems.length === 1 ? '' : 's'}.
            </p>
            <ul className="problems" aria-label="Problems by JSON pointer">
              {problems.map((problem) => (
                <li key={`${problem.path}:${problem.message}`}>
                  {problem.span ? (
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        problem.span && select(problem.span.start, problem.span.end, problem.span.line)
                      }
                    >
                      line {problem.span.line}
                    </button>
                  ) : null}{' '}
                  <span className="pointer">{problem.pointer || '/'}</span> {problem.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    </div>
  );
}
