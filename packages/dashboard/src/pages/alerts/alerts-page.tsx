import { type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type { Alert, AlertStatus } from '../../api/api-types.ts';
import { useLiveEvents } from '../../api/use-live-events.ts';
import { Link, navigate, useLocation } from '../../app/router.tsx';
import { SeverityBadge, StateBadge } from '../../ui/badges.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';

const STATUSES: ReadonlyArray<[AlertStatus | '', string]> = [
  ['open', 'Open'],
  ['acknowledged', 'Acknowledged'],
  ['resolved', 'Resolved'],
  ['', 'All'],
];

function subjectLink(alert: Alert): ReactNode {
  if (alert.deviceId)
    return <Link to={`/devices/${encodeURIComponent(alert.deviceId)}`}>{alert.deviceId}</Link>;
  return <span className="mono">{alert.subject}</span>;
}

/** Alerts raised by detection rules, newest first; new ones appear as the live stream reports them. */
export default function AlertsPage(): ReactNode {
  const { query } = useLocation();
  const raw = query.get('status') ?? 'open';
  const status: AlertStatus | '' =
    raw === 'acknowledged' || raw === 'resolved' ? raw : raw === 'all' ? '' : 'open';
  const deviceId = query.get('deviceId') ?? '';
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const alerts = useApi(`alerts:${status}:${deviceId}`, () =>
    api.get<{ alerts: Alert[] }>('/v1/alerts', {
      status: status || undefined,
      deviceId: deviceId || undefined,
      limit: 200,
    }),
  );
  useLiveEvents((event) => {
    if (event.type !== 'alert.raised') return;
    const id = event.fields.alertId;
    if (typeof id === 'string') setFresh((current) => new Set([...current, id]));
    alerts.reload();
  });

  const go = (next: { status?: string; deviceId?: string }) => {
    const params = new URLSearchParams();
    const s = next.status ?? status;
    const d = next.deviceId ?? deviceId;
    if (s !== 'open') params.set('status', s === '' ? 'all' : s);
    if (d) params.set('deviceId', d);
    navigate(`/alerts${params.size > 0 ? `?${params}` : ''}`, { replace: true });
  };
  const list = alerts.data?.alerts ?? [];

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Alerts</h1>
          <p className="subtitle">Raised by detection rules, with the events that triggered them.</p>
        </div>
      </div>
      <div className="filters">
        <fieldset className="segmented">
          <legend className="sr-only">Status</legend>
          {STATUSES.map(([value, label]) => (
            <label key={label} className="inline">
              <input
                type="radio"
                name="alert-status"
                checked={status === value}
                onChange={() => go({ status: value })}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="alert-device">Device ID</label>
          <input
            id="alert-device"
            defaultValue={deviceId}
            onKeyDown={(e) => e.key === 'Enter' && go({ deviceId: e.currentTarget.value.trim() })}
            onBlur={(e) =>
              e.currentTarget.value.trim() !== deviceId && go({ deviceId: e.currentTarget.value.trim() })
            }
          />
        </div>
      </div>
      <ErrorNote error={alerts.error} />
      {!alerts.data ? (
        alerts.error ? null : (
          <Loading what="alerts" />
        )
      ) : list.length === 0 ? (
        <Empty>No alerts{status ? ` with status ${status}` : ''}.</Empty>
      ) : (
        <div className="table-wrap card">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Alert</th>
                <th scope="col">Device or subject</th>
                <th scope="col">Status</th>
                <th scope="col">Raised</th>
              </tr>
            </thead>
            <tbody>
              {list.map((alert) => (
                <tr
                  key={alert.id}
                  className={fresh.has(alert.id) ? 'selected' : undefined}
                  data-alert={alert.id}
                >
                  <td>
                    <SeverityBadge severity={alert.severity} />
                  </td>
                  <td>
                    <Link to={`/alerts/${alert.id}`}>{alert.title}</Link>
                    <div className="hint">
                      rule {alert.ruleId} v{alert.ruleVersion}
                    </div>
                  </td>
                  <td>{subjectLink(alert)}</td>
                  <td>
                    <StateBadge state={alert.status} />
                  </td>
                  <td title={formatTime(alert.raisedAt)}>{formatAgo(alert.raisedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
