import type { ReactNode } from 'react';
import { ChangePasswordPage } from '../session/change-password-page.tsx';
import { LoginPage } from '../session/login-page.tsx';
import { SessionProvider, useSession } from '../session/session.tsx';
import { Loading } from '../ui/feedback.tsx';
import { AppShell } from './app-shell.tsx';

function Gate(): ReactNode {
  const { state } = useSession();
  switch (state.status) {
    case 'loading':
      return (
        <main className="auth-screen">
          <Loading />
        </main>
      );
    case 'anonymous':
      return <LoginPage notice={state.notice} />;
    case 'password-change':
      return <ChangePasswordPage username={state.me.username} />;
    case 'ready':
      return <AppShell />;
  }
}

export function App(): ReactNode {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}
