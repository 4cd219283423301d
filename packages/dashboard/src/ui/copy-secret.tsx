import { type ReactNode, useState } from 'react';

/** A secret shown once (token, one-time password): selectable, with a copy button, and a warning. */
export function CopySecret(props: {
  readonly label: string;
  readonly value: string;
  readonly note?: string;
}): ReactNode {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" data-secret={props.label}>
      <strong>{props.label}</strong>
      <p className="mono">{props.value}</p>
      <p className="hint">{props.note ?? 'Shown only this once: copy it now.'}</p>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard.writeText(props.value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
