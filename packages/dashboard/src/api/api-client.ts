import { ApiProblem } from './api-problem.ts';
import { csrfToken } from './csrf-token.ts';

/** Why the session stopped working: the UI goes back to the login or the password screen. */
export type SessionLoss = 'expired' | 'password-change' | 'csrf';

type Query = Readonly<Record<string, string | number | boolean | undefined>>;

const listeners = new Set<(loss: SessionLoss) => void>();

/** Called when any request finds the session gone (401), a forced password change (403), or a stale CSRF token. */
export function onSessionLoss(listener: (loss: SessionLoss) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const csrf = csrfToken.get();
  if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    const retry = Number(response.headers.get('retry-after'));
    const problem = new ApiProblem(
      response.status,
      parsed,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
    if (path !== '/v1/auth/login') {
      // INVALID_CREDENTIALS is a wrong password (login, password change), not a lost session.
      if (problem.status === 401 && problem.code !== 'INVALID_CREDENTIALS')
        for (const listener of listeners) listener('expired');
      else if (problem.code === 'PASSWORD_CHANGE_REQUIRED')
        for (const listener of listeners) listener('password-change');
      else if (problem.code === 'CSRF_TOKEN_INVALID') for (const listener of listeners) listener('csrf');
    }
    throw problem;
  }
  return parsed as T;
}

/**
 * The operator REST API, as the browser's session cookie (HttpOnly, never
 * visible here) and the CSRF token reach it. Every failure is an ApiProblem.
 */
export const api = {
  get: <T>(path: string, query?: Query): Promise<T> => request<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown): Promise<T> => request<T>('PUT', path, body),
  delete: <T>(path: string): Promise<T> => request<T>('DELETE', path),
};

/** Path segments from user input (device IDs, names) go through this, never straight into a URL. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
