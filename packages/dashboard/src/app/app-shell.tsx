import { type ReactNode, Suspense, useEffect, useRef } from 'react';
import { liveEvents } from '../api/live-events.ts';
import { useLiveStatus } from '../api/use-live-events.ts';
import { useMe, useSession } from '../session/session.tsx';
import { Loading } from '../ui/feedback.tsx';
import { Link, matchPath, useLocation } from './router.tsx';
import { LAZY_PAGES, NAV, ROUTES } from './routes.tsx';

function LiveIndicator(): ReactNode {
  const status = useLiveStatus();
  if (status === 'off') return null;
  const text = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span className={`live live-${status}`} role="status" title="Live event stream">
      {text}
    </span>
  );
}

function NotAllowed(): ReactNode {
  return (
    <section className="page">
      <h1>Not available</h1>
      <p>Your role does not include this page. An admin can change your role if you need it.</p>
      <Link to="/">Back to the overview</Link>
    </section>
  );
}

function NotFound(): ReactNode {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <Link to="/">Back to the overview</Link>
    </section>
  );
}

/** The logged-in app: navigation by role, the live stream, and the page for the current path. */
export function AppShell(): ReactNode {
  const me = useMe();
  const { can, logout } = useSession();
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const mayReadEvents = can('events:read');

  useEffect(() => {
    if (!mayReadEvents) return;
    liveEvents.start();
    return () => liveEvents.stop();
  }, [mayReadEvents]);

  // The other pages' chunks, while the operator reads the first one: later navigation does not wait.
  useEffect(() => {
    const idle = window.requestIdleCallback(() => {
      for (const page of LAZY_PAGES) void page.preload();
    });
    return () => window.cancelIdleCallback(idle);
  }, []);

  // After navigation, move focus to the page so screen readers and keyboards start there.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every path change.
  useEffect(() => {
    main.current?.focus({ preventScroll: true });
  }, [path]);

  let page: ReactNode = <NotFound />;
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (!params) continue;
    page = route.needs === 'authenticated' || can(route.needs) ? route.render(params) : <NotAllowed />;
    break;
  }

  const active = (entry: (typeof NAV)[number]) =>
    entry.to === '/' ? path === '/' : path === entry.to || path.startsWith(`${entry.prefix}/`);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Palisade
        </Link>
        <LiveIndicator />
        <div className="account">
          <Link to="/account" className="account-link">
            <span className="account-name">{me.username}</span> <span className="role">{me.role}</span>
          </Link>
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.filter((entry) => can(entry.needs)).map((entry) => (
            <li key={entry.to}>
              <Link to={entry.to} current={active(entry)}>
                {entry.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1} className="content">
        <Suspense fallback={<Loading what="page" />}>{page}</Suspense>
      </main>
    </div>
  );
}
