import { type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type { AlertDetail as AlertAnswer } from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { SeverityBadge, StateBadge } from '../../ui/badges.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { EventList } from '../../ui/event-list.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime, LEVEL_NAMES } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';

type Step = 'acknowledge' | 'resolve';

function Lifecycle(props: { readonly alert: AlertAnswer; readonly onChanged: () => void }): ReactNode {
  const { can } = useSession();
  const { alert } = props;
  const [step, setStep] = useState<Step | undefined>();
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!step) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/v1/alerts/${alert.id}/${step}`, note.trim() === '' ? {} : { note: note.trim() });
      setStep(undefined);
      setNote('');
      props.onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="alert-lifecycle">
      <h2 id="alert-lifecycle">Lifecycle</h2>
      <dl className="facts">
        <dt>Raised</dt>
        <dd>{formatTime(alert.raisedAt)}</dd>
        <dt>Acknowledged</dt>
        <dd>
          {alert.acknowledgedAt
            ? `${formatTime(alert.acknowledgedAt)} by ${alert.acknowledgedBy ?? '?'}`
            : '—'}
        </dd>
        <dt>Resolved</dt>
        <dd>{alert.resolvedAt ? `${formatTime(alert.resolvedAt)} by ${alert.resolvedBy ?? '?'}` : '—'}</dd>
        <dt>Note</dt>
        <dd>{alert.note ?? '—'}</dd>
      </dl>
      {can('alerts:manage') && alert.status !== 'resolved' ? (
        <div className="actions">
          {alert.status === 'open' ? (
            <button type="button" className="primary" onClick={() => setStep('acknowledge')}>
              Acknowledge
            </button>
          ) : null}
          <button type="button" onClick={() => setStep('resolve')}>
            Resolve
          </button>
        </div>
      ) : null}
      {step === undefined ? <ErrorNote error={error} /> : null}
      <Dialog
        title={step === 'acknowledge' ? 'Acknowledge the alert' : 'Resolve the alert'}
        open={step !== undefined}
        onClose={() => setStep(undefined)}
        onSubmit={submit}
        submitLabel={step === 'acknowledge' ? 'Acknowledge' : 'Resolve'}
        busy={busy}
      >
        <p>
          {step === 'acknowledge'
            ? 'Tell the team you are on it. The alert stays until it is resolved.'
            : 'Close the alert: explain what was found and done.'}
        </p>
        <label htmlFor="alert-note">Note (optional, audited)</label>
        <textarea
          id="alert-note"
          rows={3}
          maxLength={2000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        <ErrorNote error={error} />
      </Dialog>
    </section>
  );
}

function Context(props: { readonly alert: AlertAnswer }): ReactNode {
  const c = props.alert.context;
  if (props.alert.deviceId === null && (c.devices ?? []).length === 0)
    return (
      <section className="card" aria-labelledby="alert-context">
        <h2 id="alert-context">Context</h2>
        <p>
          Raised on <code>{props.alert.subject}</code>, not on one device: the triggering events below are the
          context.
        </p>
      </section>
    );
  return (
    <section className="card" aria-labelledby="alert-context">
      <h2 id="alert-context">Device context when raised</h2>
      <dl className="facts">
        <dt>Group</dt>
        <dd>
          {c.group ?? '—'}
          {c.targetLevel ? ` (target ${LEVEL_NAMES[c.targetLevel] ?? c.targetLevel})` : ''}
        </dd>
        <dt>Device state</dt>
        <dd>{c.deviceState ?? '—'}</dd>
        <dt>Quarantined</dt>
        <dd>{c.quarantined ? 'yes' : 'no'}</dd>
        <dt>Last seen</dt>
        <dd>{c.lastSeenAt ? `${formatAgo(c.lastSeenAt)} (${formatTime(c.lastSeenAt)})` : '—'}</dd>
        <dt>Agent</dt>
        <dd>{c.agentVersion ?? '—'}</dd>
        <dt>Root of trust</dt>
        <dd>{c.rootOfTrust ?? '—'}</dd>
        {c.lastAttestation ? (
          <>
            <dt>Last attestation</dt>
            <dd>
              {c.lastAttestation.status}
              {c.lastAttestation.reason ? `: ${c.lastAttestation.reason}` : ''}
            </dd>
          </>
        ) : null}
        {c.devices && c.devices.length > 0 ? (
          <>
            <dt>Devices</dt>
            <dd>
              {c.devices.map((id) => (
                <span key={id} className="tag">
                  <Link to={`/devices/${encodeURIComponent(id)}`}>{id}</Link>
                </span>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      <h3 className="section-gap">Recent changes to the device</h3>
      {c.recentChanges.length === 0 ? (
        <Empty>None recorded.</Empty>
      ) : (
        <ul>
          {c.recentChanges.map((change) => (
            <li key={`${change.at}-${change.action}`}>
              {formatTime(change.at)}: <code>{change.action}</code> by {change.actor}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One alert: what fired, on what, the triggering events, the context, and its lifecycle. */
export default function AlertDetail(props: { readonly alertId: string }): ReactNode {
  const alert = useApi(`alert:${props.alertId}`, () =>
    api.get<AlertAnswer>(`/v1/alerts/${encodeURIComponent(props.alertId)}`),
  );
  if (alert.error && !alert.data)
    return (
      <section className="page">
        <h1>Alert</h1>
        <ErrorNote error={alert.error} />
        <Link to="/alerts">Back to alerts</Link>
      </section>
    );
  if (!alert.data) return <Loading what="the alert" />;
  const a = alert.data;
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to="/alerts">Alerts</Link> / {a.title}
      </nav>
      <div className="page-head">
        <div>
          <h1>{a.title}</h1>
          <p className="subtitle">
            <SeverityBadge severity={a.severity} /> <StateBadge state={a.status} /> rule{' '}
            <Link to={`/rules/${a.ruleId}`}>{a.ruleId}</Link> v{a.ruleVersion} on{' '}
            {a.deviceId ? (
              <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>{a.deviceId}</Link>
            ) : (
              <code>{a.subject}</code>
            )}
            {a.controls.length > 0 ? ` · controls ${a.controls.join(', ')}` : ''}
          </p>
        </div>
      </div>
      <div className="grid-2">
        <Lifecycle alert={a} onChanged={alert.reload} />
        <Context alert={a} />
      </div>
      <section className="card" aria-labelledby="alert-events">
        <h2 id="alert-events">Triggering events</h2>
        <p className="hint">
          From {formatTime(a.firstEventAt)} to {formatTime(a.lastEventAt)}.
        </p>
        <EventList label="Triggering events" events={a.triggeringEvents} />
      </section>
    </section>
  );
}
