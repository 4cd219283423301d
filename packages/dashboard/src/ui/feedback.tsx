import type { ReactNode } from 'react';
import { ApiProblem, describeError } from '../api/api-problem.ts';

export function Loading(props: { readonly what?: string }): ReactNode {
  return (
    <p className="loading" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

/** An error as operators need it: what happened, and the stable code to look up in docs/errors.md. */
export function ErrorNote(props: { readonly error: unknown; readonly title?: string }): ReactNode {
  if (props.error === undefined || props.error === null) return null;
  const code = props.error instanceof ApiProblem ? props.error.code : undefined;
  return (
    <div className="error" role="alert">
      {props.title ? <strong>{props.title}: </strong> : null}
      {describeError(props.error)}
      {code ? <code className="error-code">{code}</code> : null}
    </div>
  );
}

export function Empty(props: { readonly children: ReactNode }): ReactNode {
  return <p className="empty">{props.children}</p>;
}
