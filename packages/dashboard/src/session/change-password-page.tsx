import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiProblem, describeError } from '../api/api-problem.ts';
import { useSession } from './session.tsx';

/**
 * The forced change of a one-time password (and the voluntary one from the
 * account page). The panel's rule: 12–256 characters, at least 5 distinct,
 * not containing the user name; the panel checks, this form only explains.
 */
export function ChangePasswordForm(props: {
  readonly username: string;
  readonly forced: boolean;
  readonly onDone?: () => void;
}): ReactNode {
  const { changePassword, logout } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setDone(false);
    if (next !== again) {
      setError('The new passwords do not match.');
      return;
    }
    setBusy(true);
    try {
      await changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
      setAgain('');
      props.onDone?.();
    } catch (caught) {
      setError(
        caught instanceof ApiProblem && caught.code === 'INVALID_CREDENTIALS'
          ? 'The current password is wrong.'
          : describeError(caught),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className={props.forced ? 'auth-card' : 'card form-card'}
      onSubmit={submit}
      aria-labelledby="password-title"
    >
      {props.forced ? (
        <h1 id="password-title" className="brand-title">
          Choose your password
        </h1>
      ) : (
        <h2 id="password-title">Change password</h2>
      )}
      {/* For password managers: which account this password belongs to. */}
      <input type="text" name="username" autoComplete="username" value={props.username} readOnly hidden />
      {props.forced ? (
        <p className="notice" role="status">
          {props.username}, your password was a one-time password. Choose your own before you continue.
        </p>
      ) : null}
      <label htmlFor="pw-current">{props.forced ? 'One-time password' : 'Current password'}</label>
      <input
        id="pw-current"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
      />
      <label htmlFor="pw-new">New password</label>
      <input
        id="pw-new"
        type="password"
        autoComplete="new-password"
        required
        minLength={12}
        aria-describedby="pw-rule"
        value={next}
        onChange={(e) => setNext(e.target.value)}
      />
      <p id="pw-rule" className="hint">
        12 to 256 characters, at least 5 different ones, not containing your user name.
      </p>
      <label htmlFor="pw-again">New password again</label>
      <input
        id="pw-again"
        type="password"
        autoComplete="new-password"
        required
        value={again}
        onChange={(e) => setAgain(e.target.value)}
      />
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {done && !props.forced ? (
        <p className="success" role="status">
          Password changed. Your other sessions have ended.
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Change password'}
        </button>
        {props.forced ? (
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function ChangePasswordPage(props: { readonly username: string }): ReactNode {
  return (
    <main className="auth-screen">
      <ChangePasswordForm username={props.username} forced />
    </main>
  );
}
