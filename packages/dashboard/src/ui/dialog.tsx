import { type FormEvent, type ReactNode, useEffect, useRef } from 'react';

/**
 * A modal on the native <dialog>: the browser traps focus, Escape closes it,
 * and focus returns to what opened it.
 */
export function Dialog(props: {
  readonly title: string;
  readonly open: boolean;
  readonly onClose: () => void;
  readonly onSubmit?: () => void | Promise<void>;
  readonly submitLabel?: string;
  readonly danger?: boolean;
  readonly busy?: boolean;
  readonly children: ReactNode;
}): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void props.onSubmit?.();
  };
  const titleId = `dialog-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={props.onClose} onCancel={props.onClose}>
      <form method="dialog" onSubmit={submit}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
        <div className="actions">
          {props.onSubmit ? (
            <button type="submit" className={props.danger ? 'danger' : 'primary'} disabled={props.busy}>
              {props.submitLabel ?? 'Save'}
            </button>
          ) : null}
          <button type="button" onClick={props.onClose}>
            {props.onSubmit ? 'Cancel' : 'Close'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
