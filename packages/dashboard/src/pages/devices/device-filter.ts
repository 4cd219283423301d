import type { Device, DeviceState, Presence } from '../../api/api-types.ts';

export type OnlineFilter = 'any' | 'online' | 'offline';

export interface DeviceFilter {
  readonly text: string;
  readonly group: string;
  readonly state: DeviceState | '';
  readonly online: OnlineFilter;
}

export const NO_FILTER: DeviceFilter = { text: '', group: '', state: '', online: 'any' };

/** The filter as URL query parameters, so a filtered list can be bookmarked and linked to (the overview does). */
export function filterFromQuery(query: URLSearchParams): DeviceFilter {
  const state = query.get('state') ?? '';
  const online = query.get('online') ?? 'any';
  return {
    text: query.get('q') ?? '',
    group: query.get('group') ?? '',
    state: (['claimed', 'enrolled', 'revoked', 'decommissioned'].includes(state) ? state : '') as
      | DeviceState
      | '',
    online: (['online', 'offline'].includes(online) ? online : 'any') as OnlineFilter,
  };
}

export function filterToQuery(filter: DeviceFilter): string {
  const params = new URLSearchParams();
  if (filter.text) params.set('q', filter.text);
  if (filter.group) params.set('group', filter.group);
  if (filter.state) params.set('state', filter.state);
  if (filter.online !== 'any') params.set('online', filter.online);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * The devices that pass every filter but presence. Search matches, case
 * folded, anywhere in the ID, group, manufacturer or IDevID serial.
 */
export function filterDevices(devices: readonly Device[], filter: DeviceFilter): Device[] {
  const needle = filter.text.trim().toLowerCase();
  return devices.filter(
    (d) =>
      (filter.group === '' || d.group === filter.group) &&
      (filter.state === '' || d.state === filter.state) &&
      (needle === '' ||
        d.id.toLowerCase().includes(needle) ||
        d.group.toLowerCase().includes(needle) ||
        (d.manufacturer?.toLowerCase().includes(needle) ?? false) ||
        (d.idevidSerial?.toLowerCase().includes(needle) ?? false)),
  );
}

/** Presence is known per device once asked; devices not yet known are left out of an online/offline filter. */
export function filterByPresence(
  devices: readonly Device[],
  online: OnlineFilter,
  presenceOf: (id: string) => Presence | undefined,
): Device[] {
  if (online === 'any') return devices.slice();
  return devices.filter((d) => {
    const presence = presenceOf(d.id);
    return presence !== undefined && presence.online === (online === 'online');
  });
}
