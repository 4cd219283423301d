import { type ReactNode, useState } from 'react';
import { api, segment } from '../../api/api-client.ts';
import type {
  Alert,
  AttestationAnswer,
  Device,
  DeviceCertificate,
  DeviceGroup,
  EffectivePolicyAnswer,
  EventPage,
  InventoryAnswer,
  PolicySummary,
  Presence,
  SecurityEvent,
} from '../../api/api-types.ts';
import { useLiveEvents } from '../../api/use-live-events.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { LevelBadge, OnlineBadge, SeverityBadge, StateBadge } from '../../ui/badges.tsx';
import { EventList } from '../../ui/event-list.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';
import { DeviceActions, DeviceTags } from './device-actions.tsx';
import { DeviceAttestation, DeviceInventory, DevicePresence } from './device-health.tsx';
import { DeviceIdentity } from './device-identity.tsx';
import { DevicePolicies } from './device-policies.tsx';

const TIMELINE = 50;

function DeviceTimeline(props: { readonly deviceId: string }): ReactNode {
  const page = useApi(`events:${props.deviceId}`, () =>
    api.get<EventPage>('/v1/events', { deviceId: props.deviceId, limit: TIMELINE }),
  );
  const [live, setLive] = useState<readonly SecurityEvent[]>([]);
  useLiveEvents((event) => {
    if (event.deviceId === props.deviceId) setLive((current) => [event, ...current].slice(0, TIMELINE));
  });
  const known = new Set(live.map((e) => e.id));
  const events = [...live, ...(page.data?.events ?? []).filter((e) => !known.has(e.id))].slice(0, TIMELINE);
  return (
    <section className="card" aria-labelledby="dev-timeline">
      <h2 id="dev-timeline">
        Event timeline
        <span className="card-actions">
          <Link to={`/events?deviceId=${encodeURIComponent(props.deviceId)}`}>All events of this device</Link>
        </span>
      </h2>
      <ErrorNote error={page.error} />
      {page.data ? (
        <div className="scroll-box">
          <EventList label="Events of this device" events={events} fresh={known} showDevice={false} />
        </div>
      ) : (
        <Loading />
      )}
    </section>
  );
}

function DeviceAlerts(props: { readonly deviceId: string }): ReactNode {
  const alerts = useApi(`alerts:${props.deviceId}`, () =>
    api.get<{ alerts: Alert[] }>('/v1/alerts', { deviceId: props.deviceId, limit: 20 }),
  );
  useLiveEvents((event) => {
    if (event.type === 'alert.raised' && event.fields.subject === `device:${props.deviceId}`) alerts.reload();
  });
  return (
    <section className="card" aria-labelledby="dev-alerts">
      <h2 id="dev-alerts">Alerts</h2>
      <ErrorNote error={alerts.error} />
      {!alerts.data ? (
        <Loading />
      ) : alerts.data.alerts.length === 0 ? (
        <Empty>No alerts for this device.</Empty>
      ) : (
        <table className="data">
          <tbody>
            {alerts.data.alerts.map((alert) => (
              <tr key={alert.id}>
                <td>
                  <SeverityBadge severity={alert.severity} />
                </td>
                <td>
                  <Link to={`/alerts/${alert.id}`}>{alert.title}</Link>
                </td>
                <td>
                  <StateBadge state={alert.status} />
                </td>
                <td>{formatTime(alert.raisedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Everything about one device on one page, with the actions the operator's role allows. */
export default function DeviceDetail(props: { readonly deviceId: string }): ReactNode {
  const { can } = useSession();
  const id = props.deviceId;
  const base = `/v1/devices/${segment(id)}`;
  const device = useApi(`device:${id}`, () =>
    api.get<{ device: Device; certificates: DeviceCertificate[] }>(base),
  );
  const groups = useApi('groups', () => api.get<{ groups: DeviceGroup[] }>('/v1/groups'));
  const presence = useApi(`presence:${id}`, () => api.get<Presence>(`${base}/presence`), { pollMs: 15_000 });
  const inventory = useApi(`inventory:${id}`, () => api.get<InventoryAnswer>(`${base}/inventory`));
  const policies = useApi(
    `policies:${id}`,
    () => api.get<EffectivePolicyAnswer>(`${base}/effective-policy`),
    { pollMs: 10_000 },
  );
  const attestation = useApi(`attestation:${id}`, () => api.get<AttestationAnswer>(`${base}/attestation`));
  const policyList = useApi('policies', () => api.get<{ policies: PolicySummary[] }>('/v1/policies'));

  const reload = () => {
    device.reload();
    presence.reload();
  };

  if (device.error && !device.data)
    return (
      <section className="page">
        <h1>{id}</h1>
        <ErrorNote error={device.error} />
        <Link to="/devices">Back to devices</Link>
      </section>
    );
  if (!device.data) return <Loading what="the device" />;
  const d = device.data.device;
  const level = groups.data?.groups.find((g) => g.name === d.group)?.targetLevel;
  const names = new Map((policyList.data?.policies ?? []).map((p) => [p.id, p]));

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to="/devices">Devices</Link> / {d.id}
      </nav>
      <div className="page-head">
        <div>
          <h1 className="mono">{d.id}</h1>
          <p className="subtitle">
            <StateBadge state={d.state} /> group{' '}
            <Link to={`/devices?group=${encodeURIComponent(d.group)}`}>{d.group}</Link>{' '}
            <LevelBadge level={level} />{' '}
            {d.state === 'enrolled' ? <OnlineBadge online={presence.data?.online} /> : null}
          </p>
        </div>
      </div>
      <DeviceActions device={d} onChanged={reload} />
      <div className="grid-2 section-gap">
        <div>
          <DeviceIdentity device={d} certificates={device.data.certificates} />
          <DevicePolicies policies={policies} names={names} />
          <DeviceTags device={d} />
        </div>
        <div>
          <DevicePresence presence={presence} />
          <DeviceAttestation attestation={attestation} />
          <DeviceInventory inventory={inventory} />
        </div>
      </div>
      {can('events:read') ? (
        <>
          <DeviceAlerts deviceId={id} />
          <DeviceTimeline deviceId={id} />
        </>
      ) : null}
    </section>
  );
}
