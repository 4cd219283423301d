import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiProblem, describeError } from '../api/api-problem.ts';
import { useSession } from './session.tsx';

function loginError(error: unknown): string {
  if (error instanceof ApiProblem) {
    if (error.code === 'INVALID_CREDENTIALS') return 'Wrong user name or password.';
    if (error.code === 'LOGIN_THROTTLED')
      return `Too many failed attempts. Try again in ${error.retryAfter !== undefined ? `${Math.ceil(error.retryAfter / 60)} min` : 'a while'}.`;
  }
  return describeError(error);
}

export function LoginPage(props: { readonly notice?: string | undefined }): ReactNode {
  const { login } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username.trim(), password);
    } catch (caught) {
      setError(loginError(caught));
      setBusy(false);
    }
  };

  return (
    <main className="auth-screen">
      <form className="auth-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title" className="brand-title">
          Palisade
        </h1>
        <p className="muted">Operator console</p>
        {props.notice ? (
          <p className="notice" role="status">
            {props.notice}
          </p>
        ) : null}
        <label htmlFor="login-username">User name</label>
        <input
          id="login-username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
