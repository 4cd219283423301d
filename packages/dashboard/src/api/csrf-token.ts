const KEY = 'palisade.csrf';

/**
 * The session's CSRF token, returned once at login and sent as x-csrf-token
 * with every state-changing request (the HttpOnly cookie alone must not be
 * enough). In localStorage: readable only by this origin, which is what a
 * CSRF token needs, and shared by the tabs that share the session cookie.
 */
export const csrfToken = {
  get(): string | null {
    return window.localStorage.getItem(KEY);
  },
  set(token: string): void {
    window.localStorage.setItem(KEY, token);
  },
  clear(): void {
    window.localStorage.removeItem(KEY);
  },
};
