import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecurityEvent } from '../../api/api-types.ts';
import { eventFilterFromQuery, eventFilterToQuery, passes, searchQuery } from './event-filter.ts';

const EVENT: SecurityEvent = {
  id: '0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d',
  source: 'device',
  deviceId: 'gw-7',
  type: 'fim.modified',
  severity: 7,
  controls: ['MO-1', 'SB-3'],
  message: 'Protected file modified',
  occurredAt: '2026-03-01T12:00:00.000Z',
  receivedAt: '2026-03-01T12:00:01.000Z',
  fields: { path: '/etc/ssh/sshd_config' },
};
const NONE = eventFilterFromQuery(new URLSearchParams());

describe('passes (the live stream filtered in the browser)', () => {
  it('applies each member the way the panel does', () => {
    assert.equal(passes(EVENT, NONE), true);
    assert.equal(passes(EVENT, { ...NONE, deviceId: 'gw-8' }), false);
    assert.equal(passes(EVENT, { ...NONE, type: 'auth.login-failed, fim.modified' }), true);
    assert.equal(passes(EVENT, { ...NONE, type: 'auth.login-failed' }), false);
    assert.equal(passes(EVENT, { ...NONE, source: 'panel' }), false);
    assert.equal(passes(EVENT, { ...NONE, minSeverity: '7' }), true);
    assert.equal(passes(EVENT, { ...NONE, minSeverity: '8' }), false);
    assert.equal(passes(EVENT, { ...NONE, control: 'SB-3' }), true);
    assert.equal(passes(EVENT, { ...NONE, control: 'SI-3' }), false);
  });
});

describe('the event filter in the URL', () => {
  it('round-trips, refuses a severity out of range, and becomes the search query', () => {
    const filter = {
      deviceId: 'gw-7',
      type: 'fim.modified',
      source: 'device' as const,
      minSeverity: '5',
      control: 'MO-1',
    };
    assert.deepEqual(eventFilterFromQuery(new URLSearchParams(eventFilterToQuery(filter))), filter);
    assert.equal(eventFilterFromQuery(new URLSearchParams('minSeverity=11&source=cloud')).minSeverity, '');
    assert.deepEqual(searchQuery({ ...NONE, type: 'a.b, c.d' }), {
      deviceId: undefined,
      type: 'a.b,c.d',
      source: undefined,
      minSeverity: undefined,
      control: undefined,
    });
  });
});
