import { type FormEvent, type ReactNode, useEffect, useMemo, useState } from 'react';
import { api } from '../../api/api-client.ts';
import { ApiProblem } from '../../api/api-problem.ts';
import type { EventPage, SecurityEvent } from '../../api/api-types.ts';
import { useLiveEvents, useLiveStatus } from '../../api/use-live-events.ts';
import { navigate, useLocation } from '../../app/router.tsx';
import { EventList } from '../../ui/event-list.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatCount } from '../../ui/format.ts';
import {
  type EventFilter,
  eventFilterFromQuery,
  eventFilterToQuery,
  passes,
  searchQuery,
} from './event-filter.ts';

/** Events kept on screen; older ones are a "Load older" away. */
const MAX_SHOWN = 1000;
const SEVERITIES = Array.from({ length: 11 }, (_, i) => String(i));

/** Search security events and watch new ones arrive live (PD-3). */
export default function EventsPage(): ReactNode {
  const { query } = useLocation();
  const filter = useMemo(() => eventFilterFromQuery(query), [query]);
  const [draft, setDraft] = useState<EventFilter>(filter);
  const [events, setEvents] = useState<readonly SecurityEvent[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState<readonly SecurityEvent[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const status = useLiveStatus();

  useEffect(() => {
    setDraft(filter);
    let cancelled = false;
    setLoading(true);
    setError(undefined);
    api.get<EventPage>('/v1/events', { ...searchQuery(filter), limit: 100 }).then(
      (page) => {
        if (cancelled) return;
        setEvents(page.events);
        setCursor(page.nextCursor ?? null);
        setHeld([]);
        setFresh(new Set());
        setLoading(false);
      },
      (caught: unknown) => {
        if (cancelled) return;
        setError(caught);
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [filter]);

  useLiveEvents((event) => {
    if (!passes(event, filter)) return;
    if (paused) {
      setHeld((current) => [event, ...current].slice(0, MAX_SHOWN));
      return;
    }
    setEvents((current) =>
      current.some((e) => e.id === event.id) ? current : [event, ...current].slice(0, MAX_SHOWN),
    );
    setFresh((current) => new Set([...current, event.id].slice(-50)));
  });

  const resume = () => {
    setEvents((current) => {
      const known = new Set(current.map((e) => e.id));
      return [...held.filter((e) => !known.has(e.id)), ...current].slice(0, MAX_SHOWN);
    });
    setFresh(new Set(held.map((e) => e.id).slice(0, 50)));
    setHeld([]);
    setPaused(false);
  };

  const loadOlder = async () => {
    if (!cursor) return;
    try {
      const page = await api.get<EventPage>('/v1/events', { ...searchQuery(filter), limit: 100, cursor });
      setEvents((current) => [...current, ...page.events]);
      setCursor(page.nextCursor ?? null);
    } catch (caught) {
      setError(caught);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/events${eventFilterToQuery(draft)}`);
  };
  const field = (key: keyof EventFilter) => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });
  const problems = error instanceof ApiProblem ? error.problems : [];

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Security events</h1>
          <p className="subtitle">
            Newest first by the time the source reports.{' '}
            {status === 'live'
              ? 'New events appear as they arrive.'
              : 'The live stream is reconnecting; missed events are filled in.'}
          </p>
        </div>
        <div className="actions">
          {paused ? (
            <button type="button" className="primary" onClick={resume}>
              Resume live ({formatCount(held.length)} new)
            </button>
          ) : (
            <button type="button" onClick={() => setPaused(true)}>
              Pause live updates
            </button>
          )}
        </div>
      </div>
      <form className="filters card" onSubmit={apply} aria-label="Filter events">
        <div className="field">
          <label htmlFor="ev-device">Device ID</label>
          <input id="ev-device" {...field('deviceId')} size={18} />
        </div>
        <div className="field">
          <label htmlFor="ev-type">Types (comma-separated)</label>
          <input id="ev-type" {...field('type')} placeholder="auth.login-failed,fim.modified" size={28} />
        </div>
        <div className="field">
          <label htmlFor="ev-source">Source</label>
          <select id="ev-source" {...field('source')}>
            <option value="">Any</option>
            <option value="device">Device</option>
            <option value="panel">Panel</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="ev-severity">Minimum severity</label>
          <select id="ev-severity" {...field('minSeverity')}>
            <option value="">Any</option>
            {SEVERITIES.map((severity) => (
              <option key={severity} value={severity}>
                {severity}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ev-control">Control</label>
          <input id="ev-control" {...field('control')} placeholder="SI-3" size={6} />
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button type="button" onClick={() => navigate('/events')}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
      {problems.length > 0 ? (
        <ul className="problems">
          {problems.map((p) => (
            <li key={p.path}>
              <span className="pointer">{p.path}</span> {p.message}
            </li>
          ))}
        </ul>
      ) : null}
      {loading ? (
        <Loading what="events" />
      ) : (
        <div className="card">
          <EventList label="Security events" events={events} fresh={fresh} />
          {cursor ? (
            <div className="actions">
              <button type="button" onClick={() => void loadOlder()}>
                Load older events
              </button>
            </div>
          ) : null}
        </div>
      )}
    </section>
  );
}
