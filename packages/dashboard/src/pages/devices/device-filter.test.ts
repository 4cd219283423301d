import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Device, Presence } from '../../api/api-types.ts';
import {
  filterByPresence,
  filterDevices,
  filterFromQuery,
  filterToQuery,
  NO_FILTER,
} from './device-filter.ts';

const device = (id: string, group: string, state: Device['state'], extra: Partial<Device> = {}): Device => ({
  id,
  group,
  state,
  idevidSerial: null,
  idevidFingerprint: null,
  manufacturer: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

const FLEET = [
  device('gw-1.plant-a', 'plant-a', 'enrolled'),
  device('gw-2', 'plant-a', 'revoked'),
  device('rtu-7', 'substation-7', 'enrolled', { manufacturer: 'Acme RTU', idevidSerial: 'SN-0042' }),
  device('rtu-8', 'substation-7', 'claimed'),
];

describe('filterDevices', () => {
  it('matches the search anywhere in ID, group, manufacturer or IDevID serial, ignoring case', () => {
    const ids = (text: string) => filterDevices(FLEET, { ...NO_FILTER, text }).map((d) => d.id);
    assert.deepEqual(ids('GW-'), ['gw-1.plant-a', 'gw-2']);
    assert.deepEqual(ids('acme'), ['rtu-7']);
    assert.deepEqual(ids('sn-0042'), ['rtu-7']);
    assert.deepEqual(ids('substation'), ['rtu-7', 'rtu-8']);
    assert.deepEqual(
      ids('  '),
      FLEET.map((d) => d.id),
    );
  });

  it('combines group and state with the search', () => {
    assert.deepEqual(
      filterDevices(FLEET, { ...NO_FILTER, group: 'substation-7', state: 'enrolled' }).map((d) => d.id),
      ['rtu-7'],
    );
  });
});

describe('filterByPresence', () => {
  const presence = (online: boolean) => ({ online }) as Presence;
  const known = new Map([
    ['gw-1.plant-a', presence(true)],
    ['rtu-7', presence(false)],
  ]);
  it('keeps only devices whose presence is known and matches; unknown ones are left out', () => {
    assert.deepEqual(
      filterByPresence(FLEET, 'online', (id) => known.get(id)).map((d) => d.id),
      ['gw-1.plant-a'],
    );
    assert.deepEqual(
      filterByPresence(FLEET, 'offline', (id) => known.get(id)).map((d) => d.id),
      ['rtu-7'],
    );
    assert.equal(filterByPresence(FLEET, 'any', () => undefined).length, FLEET.length);
  });
});

describe('filterFromQuery / filterToQuery', () => {
  it('round-trips a filter through the URL and drops values it does not know', () => {
    const filter = {
      text: 'rtu',
      group: 'substation-7',
      state: 'enrolled' as const,
      online: 'offline' as const,
    };
    assert.deepEqual(filterFromQuery(new URLSearchParams(filterToQuery(filter))), filter);
    assert.deepEqual(filterFromQuery(new URLSearchParams('state=hacked&online=maybe')), NO_FILTER);
    assert.equal(filterToQuery(NO_FILTER), '');
  });
});
