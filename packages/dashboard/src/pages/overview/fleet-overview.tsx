import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type {
  Alert,
  Device,
  DeviceGroup,
  EventPage,
  PolicySummary,
  Presence,
  Rollout,
  RolloutProgress,
  SecurityEvent,
} from '../../api/api-types.ts';
import { DEVICE_STATES, SECURITY_LEVELS } from '../../api/api-types.ts';
import { loadAllDevices } from '../../api/fleet.ts';
import { presenceStore, usePresenceVersion } from '../../api/presence-store.ts';
import { useLiveEvents } from '../../api/use-live-events.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { LevelBadge } from '../../ui/badges.tsx';
import { BarList, Legend, type Segment, SegmentBar, StackedColumns } from '../../ui/charts.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatCount, LEVEL_NAMES, SEVERITY_BANDS, severityBand } from '../../ui/format.ts';
import { type Loaded, useApi } from '../../ui/use-api.ts';
import { RolloutBar } from '../policies/rollout-bar.tsx';
import { EventHistogram, type HistogramRange, RANGES } from './event-histogram.ts';

/** Presence is asked per device; the overview samples at most this many enrolled devices. */
const PRESENCE_SAMPLE = 500;
/** Pages of 1000 events read for the 24-hour chart. */
const EVENT_PAGES = 5;

const STATE_TONE: Readonly<Record<string, string>> = {
  enrolled: 'good',
  claimed: 'accent',
  revoked: 'bad',
  decommissioned: 'info',
};

function usePresenceSample(devices: readonly Device[] | undefined) {
  usePresenceVersion();
  const enrolled = useMemo(() => (devices ?? []).filter((d) => d.state === 'enrolled'), [devices]);
  const sample = useMemo(() => enrolled.slice(0, PRESENCE_SAMPLE).map((d) => d.id), [enrolled]);
  useEffect(() => presenceStore.request(sample), [sample]);
  const presence = new Map<string, Presence>();
  for (const id of sample) {
    const known = presenceStore.get(id);
    if (known) presence.set(id, known);
  }
  return { presence, enrolled: enrolled.length, sampled: sample.length };
}

/** What needs a look, in the headline row: alerts, rollouts, devices offline. */
interface Attention {
  readonly openAlerts: number | undefined;
  readonly urgentAlerts: number | undefined;
  readonly rollouts: number | undefined;
  readonly pausedRollouts: number | undefined;
}

function Stat(props: {
  readonly value: number | undefined;
  readonly label: ReactNode;
  readonly alarm?: boolean;
  readonly to?: string;
}): ReactNode {
  const value = props.value === undefined ? '…' : formatCount(props.value);
  return (
    <div className={props.alarm ? 'stat-alarm' : undefined}>
      <div className="stat">{props.to ? <Link to={props.to}>{value}</Link> : value}</div>
      <div className="stat-label">{props.label}</div>
    </div>
  );
}

function FleetCards(props: {
  readonly devices: readonly Device[];
  readonly groups: readonly DeviceGroup[];
  readonly attention: Attention;
}): ReactNode {
  const { devices, groups } = props;
  const { presence, enrolled, sampled } = usePresenceSample(devices);
  const online = [...presence.values()].filter((p) => p.online).length;
  const checked = presence.size;
  const levelOf = new Map(groups.map((g) => [g.name, g.targetLevel]));
  const byGroup = new Map<string, { total: number; online: number }>();
  for (const device of devices) {
    const entry = byGroup.get(device.group) ?? { total: 0, online: 0 };
    entry.total += 1;
    if (presence.get(device.id)?.online) entry.online += 1;
    byGroup.set(device.group, entry);
  }
  const stateItems = DEVICE_STATES.map((state) => ({
    key: state,
    label: state,
    value: devices.filter((d) => d.state === state).length,
    tone: STATE_TONE[state] ?? 'accent',
    href: `/devices?state=${state}`,
  }));
  const levelItems = SECURITY_LEVELS.map((level) => ({
    key: level,
    label: `${LEVEL_NAMES[level]} (${level})`,
    value: devices.filter((d) => levelOf.get(d.group) === level).length,
    tone: 'accent',
  }));
  const presenceSegments: Segment[] = [
    { key: 'online', label: 'online', value: online, tone: 'good' },
    { key: 'offline', label: 'offline', value: checked - online, tone: 'bad' },
  ];

  return (
    <>
      <div className="card">
        <div className="stats">
          <Stat value={devices.length} label="devices" to="/devices" />
          <Stat value={enrolled} label="enrolled" to="/devices?state=enrolled" />
          <Stat
            value={checked < sampled ? undefined : online}
            label={`online${sampled < enrolled ? ` (of ${formatCount(sampled)} sampled)` : ''}`}
            to="/devices?online=online"
          />
          <Stat
            value={checked < sampled ? undefined : checked - online}
            label="offline"
            alarm={checked - online > 0}
            to="/devices?online=offline"
          />
          {props.attention.openAlerts === undefined && props.attention.urgentAlerts === undefined ? null : (
            <Stat
              value={props.attention.openAlerts}
              label={`open alerts (${formatCount(props.attention.urgentAlerts ?? 0)} high or critical)`}
              alarm={(props.attention.urgentAlerts ?? 0) > 0}
              to="/alerts"
            />
          )}
          <Stat
            value={props.attention.rollouts}
            label={`rollouts in progress${props.attention.pausedRollouts ? ` (${props.attention.pausedRollouts} paused)` : ''}`}
            alarm={(props.attention.pausedRollouts ?? 0) > 0}
            to="/policies"
          />
        </div>
      </div>
      <div className="grid-3">
        <section className="card" aria-labelledby="ov-state">
          <h2 id="ov-state">Devices by state</h2>
          <BarList label="Devices by state" items={stateItems} />
        </section>
        <section className="card" aria-labelledby="ov-presence">
          <h2 id="ov-presence">Online / offline</h2>
          <SegmentBar label="Enrolled devices online and offline" segments={presenceSegments} />
          <Legend segments={presenceSegments} />
          <p className="hint">
            {checked < sampled
              ? `Checking presence: ${formatCount(checked)} of ${formatCount(sampled)}. `
              : ''}
            {sampled < enrolled
              ? `Sampled ${formatCount(sampled)} of ${formatCount(enrolled)} enrolled devices: the API reports presence per device.`
              : 'Enrolled devices; online means checked in or connected recently.'}
          </p>
        </section>
        <section className="card" aria-labelledby="ov-level">
          <h2 id="ov-level">Target security level</h2>
          <BarList label="Devices by target security level" items={levelItems} />
        </section>
      </div>
      <section className="card" aria-labelledby="ov-groups">
        <h2 id="ov-groups">Groups</h2>
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Target level</th>
                <th scope="col">Devices</th>
                <th scope="col">Online</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => {
                const counts = byGroup.get(group.name) ?? { total: 0, online: 0 };
                return (
                  <tr key={group.name}>
                    <td>
                      <Link to={`/devices?group=${encodeURIComponent(group.name)}`}>{group.name}</Link>
                    </td>
                    <td>
                      <LevelBadge level={group.targetLevel} />
                    </td>
                    <td>{formatCount(counts.total)}</td>
                    <td>{formatCount(counts.online)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function OpenAlerts(props: { readonly alerts: Loaded<{ alerts: Alert[] }> }): ReactNode {
  const { alerts } = props;
  const list = alerts.data?.alerts ?? [];
  const items = SEVERITY_BANDS.map((band) => ({
    key: band,
    label: band,
    value: list.filter((a) => severityBand(a.severity) === band).length,
    tone: band,
  }));
  return (
    <section className="card" aria-labelledby="ov-alerts">
      <h2 id="ov-alerts">
        Open alerts <span className="badge tone-bad">{formatCount(list.length)}</span>
        <span className="card-actions">
          <Link to="/alerts">All alerts</Link>
        </span>
      </h2>
      <ErrorNote error={alerts.error} />
      {alerts.data ? <BarList label="Open alerts by severity" items={items} /> : <Loading />}
    </section>
  );
}

function Rollouts(props: {
  readonly rollouts: Loaded<RolloutProgress[]>;
  readonly names: ReadonlyMap<string, string>;
}): ReactNode {
  const { rollouts } = props;
  return (
    <section className="card" aria-labelledby="ov-rollouts">
      <h2 id="ov-rollouts">
        Policy rollouts in progress
        <span className="card-actions">
          <Link to="/policies">Policies</Link>
        </span>
      </h2>
      <ErrorNote error={rollouts.error} />
      {!rollouts.data ? (
        <Loading />
      ) : rollouts.data.length === 0 ? (
        <Empty>No rollout in progress.</Empty>
      ) : null}
      {rollouts.data?.map((rollout) => (
        <RolloutBar
          key={rollout.id}
          rollout={rollout}
          policyName={props.names.get(rollout.policyId) ?? 'policy'}
        />
      ))}
    </section>
  );
}

function EventsOverTime(): ReactNode {
  const [range, setRange] = useState<HistogramRange>(RANGES[0] as HistogramRange);
  const [histogram, setHistogram] = useState<EventHistogram | undefined>();
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<unknown>();
  const [, setVersion] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      const next = new EventHistogram(Date.now(), range);
      const from = next.from.toISOString();
      let cursor: string | undefined;
      for (let page = 0; page < EVENT_PAGES; page += 1) {
        const answer = await api.get<EventPage>('/v1/events', { from, limit: 1000, cursor });
        for (const event of answer.events) next.add(event);
        if (!answer.nextCursor) return { next, truncated: false };
        cursor = answer.nextCursor;
      }
      return { next, truncated: true };
    };
    load().then(
      (result) => {
        if (cancelled) return;
        setHistogram(result.next);
        setTruncated(result.truncated);
      },
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [range]);

  useLiveEvents((event: SecurityEvent) => {
    histogram?.advance(Date.now());
    if (histogram?.add(event)) setVersion((v) => v + 1);
  });
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (histogram?.advance(Date.now())) setVersion((v) => v + 1);
    }, 10_000);
    return () => window.clearInterval(timer);
  }, [histogram]);

  const keys = [...SEVERITY_BANDS].reverse();
  return (
    <section className="card" aria-labelledby="ov-events">
      <h2 id="ov-events">
        Security events
        <span className="card-actions">
          <label className="inline" htmlFor="ov-range">
            <span className="sr-only">Time range</span>
            <select
              id="ov-range"
              value={range.key}
              onChange={(e) => setRange(RANGES.find((r) => r.key === e.target.value) ?? range)}
            >
              {RANGES.map((r) => (
                <option key={r.key} value={r.key}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <Link to="/events">Event stream</Link>
        </span>
      </h2>
      <ErrorNote error={error} />
      {histogram ? (
        <>
          <StackedColumns
            label={`Security events, ${range.label.toLowerCase()}, by severity`}
            columns={histogram.columns()}
            keys={keys}
            tickEvery={range.tickEvery}
          />
          <Legend
            hideValues
            segments={SEVERITY_BANDS.map((band) => ({ key: band, label: band, value: 0, tone: band }))}
          />
          <p className="hint">
            {formatCount(histogram.total)} events, placed by the time their source reports
            {truncated ? ` (the latest ${formatCount(EVENT_PAGES * 1000)} counted)` : ''}; live events are
            added as they arrive.
          </p>
        </>
      ) : error ? null : (
        <Loading />
      )}
    </section>
  );
}

/** What a newcomer needs in one look: how many devices, which are fine, what needs attention. */
export function FleetOverview(): ReactNode {
  const { can } = useSession();
  const fleet = useApi('fleet', async () => {
    const [devices, { groups }] = await Promise.all([
      loadAllDevices(),
      api.get<{ groups: DeviceGroup[] }>('/v1/groups'),
    ]);
    return { devices, groups };
  });
  const alerts = useApi(can('events:read') ? 'open-alerts' : null, () =>
    api.get<{ alerts: Alert[] }>('/v1/alerts', { status: 'open', limit: 1000 }),
  );
  useLiveEvents((event) => {
    if (event.type === 'alert.raised') alerts.reload();
  });
  const rollouts = useApi(
    'rollouts',
    async () => {
      const { rollouts: all } = await api.get<{ rollouts: Rollout[] }>('/v1/policy-rollouts');
      const active = all.filter((r) => r.status === 'running' || r.status === 'paused');
      return Promise.all(active.map((r) => api.get<RolloutProgress>(`/v1/policy-rollouts/${r.id}`)));
    },
    { pollMs: 5000 },
  );
  const policies = useApi('policies', () => api.get<{ policies: PolicySummary[] }>('/v1/policies'));
  const policyNames = new Map((policies.data?.policies ?? []).map((p) => [p.id, p.name]));
  const attention: Attention = {
    openAlerts: alerts.data?.alerts.length,
    urgentAlerts: alerts.data?.alerts.filter((a) => a.severity >= 7).length,
    rollouts: rollouts.data?.length,
    pausedRollouts: rollouts.data?.filter((r) => r.status === 'paused').length,
  };
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Fleet overview</h1>
          <p className="subtitle">Devices, alerts, rollouts and events at a glance.</p>
        </div>
      </div>
      <ErrorNote error={fleet.error} />
      {fleet.data ? (
        <FleetCards devices={fleet.data.devices} groups={fleet.data.groups} attention={attention} />
      ) : fleet.error ? null : (
        <Loading what="the fleet" />
      )}
      <div className="grid-2">
        {can('events:read') ? <OpenAlerts alerts={alerts} /> : null}
        <Rollouts rollouts={rollouts} names={policyNames} />
      </div>
      {can('events:read') ? <EventsOverTime /> : null}
    </section>
  );
}
