import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, onSessionLoss, type SessionLoss } from '../api/api-client.ts';
import { ApiProblem } from '../api/api-problem.ts';
import type { LoginAnswer, Me, Permission } from '../api/api-types.ts';
import { csrfToken } from '../api/csrf-token.ts';

export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'anonymous'; readonly notice?: string }
  | { readonly status: 'password-change'; readonly me: Me }
  | { readonly status: 'ready'; readonly me: Me };

export interface Session {
  readonly state: SessionState;
  login(username: string, password: string): Promise<void>;
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  logout(): Promise<void>;
  /** Whether the operator's role grants the permission: buttons a role cannot use are not shown. */
  can(permission: Permission): boolean;
}

const NOTICES: Readonly<Record<SessionLoss, string>> = {
  expired: 'Your session has ended (it expired, was idle too long, or was ended elsewhere). Log in again.',
  csrf: 'This tab’s session token is no longer valid. Log in again to make changes.',
  'password-change': '',
};

const SessionContext = createContext<Session | undefined>(undefined);

async function whoAmI(): Promise<SessionState> {
  try {
    const me = await api.get<Me>('/v1/auth/me');
    return me.mustChangePassword ? { status: 'password-change', me } : { status: 'ready', me };
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) return { status: 'anonymous' };
    throw error;
  }
}

export function SessionProvider(props: { readonly children: ReactNode }): ReactNode {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    // Only this app's logins store a CSRF token: without one there is no session to ask about (and
    // no refused request to audit), so the login form comes at once.
    if (csrfToken.get() === null) setState({ status: 'anonymous' });
    else
      whoAmI().then(setState, () =>
        setState({ status: 'anonymous', notice: 'The panel could not be reached. Reload to retry.' }),
      );
    return onSessionLoss((loss) => {
      if (loss === 'password-change') {
        void whoAmI().then(setState);
        return;
      }
      csrfToken.clear();
      setState({ status: 'anonymous', notice: NOTICES[loss] });
    });
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const answer = await api.post<LoginAnswer>('/v1/auth/login', { username, password });
    csrfToken.set(answer.csrfToken);
    setState(await whoAmI());
  }, []);

  const changePassword = useCallback(async (currentPassword: string, newPassword: string) => {
    await api.post('/v1/auth/password', { currentPassword, newPassword });
    setState(await whoAmI());
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post('/v1/auth/logout');
    } finally {
      csrfToken.clear();
      setState({ status: 'anonymous', notice: 'You have logged out.' });
    }
  }, []);

  const session = useMemo<Session>(() => {
    const permissions = new Set(state.status === 'ready' ? state.me.permissions : []);
    return { state, login, changePassword, logout, can: (permission) => permissions.has(permission) };
  }, [state, login, changePassword, logout]);

  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The logged-in operator; only for components rendered inside the ready app. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'ready') throw new Error('useMe before login');
  return state.me;
}
