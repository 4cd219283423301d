import { type ReactNode, useCallback, useDeferredValue, useEffect, useMemo, useState } from 'react';
import { api } from '../../api/api-client.ts';
import { DEVICE_STATES, type Device, type DeviceGroup } from '../../api/api-types.ts';
import { loadAllDevices } from '../../api/fleet.ts';
import { presenceStore, usePresenceVersion } from '../../api/presence-store.ts';
import { Link, navigate, useLocation } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { LevelBadge, OnlineBadge, StateBadge } from '../../ui/badges.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatCount } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';
import { type VirtualColumn, VirtualTable } from '../../ui/virtual-table.tsx';
import {
  type DeviceFilter,
  filterByPresence,
  filterDevices,
  filterFromQuery,
  filterToQuery,
  type OnlineFilter,
} from './device-filter.ts';

function useAllDevices() {
  const [devices, setDevices] = useState<readonly Device[] | undefined>();
  const [complete, setComplete] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    loadAllDevices((page) => !controller.signal.aborted && setDevices(page), controller.signal).then(
      () => !controller.signal.aborted && setComplete(true),
      (caught: unknown) => !controller.signal.aborted && setError(caught),
    );
    return () => controller.abort();
  }, []);
  return { devices, complete, error };
}

/** The fleet as one fast table: search and filters over every device, presence for the rows in view. */
export default function DevicesPage(): ReactNode {
  const { can } = useSession();
  const { query } = useLocation();
  const filter = useMemo(() => filterFromQuery(query), [query]);
  const [text, setText] = useState(filter.text);
  const deferredText = useDeferredValue(text);
  const { devices, complete, error } = useAllDevices();
  const groups = useApi('groups', () => api.get<{ groups: DeviceGroup[] }>('/v1/groups'));
  usePresenceVersion();

  const setFilter = (change: Partial<DeviceFilter>) =>
    navigate(`/devices${filterToQuery({ ...filter, text, ...change })}`, { replace: true });

  // The search box updates the URL without a history entry per keystroke.
  useEffect(() => {
    if (deferredText !== filter.text)
      navigate(`/devices${filterToQuery({ ...filter, text: deferredText })}`, { replace: true });
  }, [deferredText, filter]);

  const levelOf = useMemo(
    () => new Map((groups.data?.groups ?? []).map((g) => [g.name, g.targetLevel])),
    [groups.data],
  );
  const matching = useMemo(
    () => filterDevices(devices ?? [], { ...filter, text: deferredText }),
    [devices, filter, deferredText],
  );
  const matchingIds = useMemo(() => matching.map((d) => d.id), [matching]);

  // Filtering by presence needs the presence of every matching device: ask for it all (in the background).
  useEffect(() => {
    if (filter.online !== 'any') presenceStore.request(matchingIds);
  }, [filter.online, matchingIds]);
  const rows = filterByPresence(matching, filter.online, (id) => presenceStore.get(id));
  const presenceKnown = filter.online === 'any' ? matching.length : presenceStore.known(matchingIds);

  const onRangeChange = useCallback((visible: readonly Device[]) => {
    presenceStore.request(
      visible.filter((d) => d.state === 'enrolled').map((d) => d.id),
      { first: true },
    );
  }, []);

  const columns: VirtualColumn<Device>[] = [
    {
      key: 'id',
      header: 'Device',
      render: (d) => (
        <Link to={`/devices/${encodeURIComponent(d.id)}`} className="mono" tabIndex={-1}>
          {d.id}
        </Link>
      ),
    },
    { key: 'group', header: 'Group', render: (d) => d.group },
    { key: 'level', header: 'Target level', render: (d) => <LevelBadge level={levelOf.get(d.group)} /> },
    { key: 'state', header: 'State', render: (d) => <StateBadge state={d.state} /> },
    {
      key: 'online',
      header: 'Presence',
      render: (d) =>
        d.state === 'enrolled' ? (
          <OnlineBadge online={presenceStore.get(d.id)?.online} />
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      key: 'seen',
      header: 'Last seen',
      render: (d) => (d.state === 'enrolled' ? formatAgo(presenceStore.get(d.id)?.lastSeenAt) : '—'),
    },
    {
      key: 'idevid',
      header: 'Manufacturer / IDevID',
      render: (d) => d.manufacturer ?? d.idevidSerial ?? '—',
    },
  ];

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Devices</h1>
          <p className="subtitle" aria-live="polite">
            {devices === undefined
              ? 'Loading devices…'
              : `${formatCount(rows.length)} of ${formatCount(devices.length)} devices${complete ? '' : ' (loading more…)'}`}
          </p>
        </div>
        {can('fleet:manage') ? (
          <div className="actions">
            <Link to="/enrollment#register">Register or claim a device</Link>
          </div>
        ) : null}
      </div>
      <form className="filters" aria-label="Filter devices" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="device-search">Search</label>
          <input
            id="device-search"
            type="search"
            placeholder="ID, group, manufacturer, IDevID serial"
            value={text}
            onChange={(e) => setText(e.target.value)}
            size={32}
          />
        </div>
        <div className="field">
          <label htmlFor="device-group">Group</label>
          <select
            id="device-group"
            value={filter.group}
            onChange={(e) => setFilter({ group: e.target.value })}
          >
            <option value="">All groups</option>
            {groups.data?.groups.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="device-state">State</label>
          <select
            id="device-state"
            value={filter.state}
            onChange={(e) => setFilter({ state: e.target.value as DeviceFilter['state'] })}
          >
            <option value="">All states</option>
            {DEVICE_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="device-online">Presence</label>
          <select
            id="device-online"
            value={filter.online}
            onChange={(e) => setFilter({ online: e.target.value as OnlineFilter })}
          >
            <option value="any">Online or offline</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </div>
      </form>
      {filter.online !== 'any' && presenceKnown < matching.length ? (
        <p className="hint" role="status">
          Checking presence: {formatCount(presenceKnown)} of {formatCount(matching.length)} devices (the API
          answers per device).
        </p>
      ) : null}
      <ErrorNote error={error ?? groups.error} />
      {devices === undefined && !error ? (
        <Loading what="devices" />
      ) : (
        <VirtualTable
          label="Devices"
          rows={rows}
          columns={columns}
          rowKey={(d) => d.id}
          tableClass="cols-devices"
          onOpen={(d) => navigate(`/devices/${encodeURIComponent(d.id)}`)}
          onRangeChange={onRangeChange}
        />
      )}
      <p className="hint">Use the arrow keys in the table to move, Enter to open a device.</p>
    </section>
  );
}
