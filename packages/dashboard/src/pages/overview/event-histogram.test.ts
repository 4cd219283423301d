import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecurityEvent } from '../../api/api-types.ts';
import { EventHistogram, RANGES } from './event-histogram.ts';

const HOUR = RANGES.find((r) => r.key === 'hour');
const at = (iso: string, severity: number) => ({ occurredAt: iso, severity }) as SecurityEvent;
const NOW = Date.parse('2026-03-01T12:30:30.000Z');

describe('EventHistogram', () => {
  it('counts events per minute and severity band over the last hour, and nothing outside it', () => {
    assert.ok(HOUR);
    const histogram = new EventHistogram(NOW, HOUR);
    assert.equal(histogram.add(at('2026-03-01T12:30:10.000Z', 9)), true);
    assert.equal(histogram.add(at('2026-03-01T12:30:59.000Z', 2)), true);
    assert.equal(histogram.add(at('2026-03-01T11:31:00.000Z', 5)), true);
    assert.equal(histogram.add(at('2026-03-01T11:30:59.999Z', 5)), false, 'an hour and a minute ago');
    assert.equal(histogram.add(at('2026-03-01T12:31:00.000Z', 5)), false, 'the future');
    const columns = histogram.columns();
    assert.equal(columns.length, 60);
    assert.deepEqual(columns.at(-1)?.values, { critical: 1, high: 0, medium: 0, low: 0, info: 1 });
    assert.deepEqual(columns[0]?.values, { critical: 0, high: 0, medium: 1, low: 0, info: 0 });
    assert.equal(histogram.total, 3);
  });

  it('moves forward with time: old minutes drop out, the new one starts empty', () => {
    assert.ok(HOUR);
    const histogram = new EventHistogram(NOW, HOUR);
    histogram.add(at('2026-03-01T11:31:00.000Z', 5));
    histogram.add(at('2026-03-01T12:30:10.000Z', 9));
    assert.equal(histogram.advance(NOW + 10_000), false, 'same minute');
    assert.equal(histogram.advance(NOW + 60_000), true);
    assert.equal(histogram.total, 1);
    assert.deepEqual(histogram.columns().at(-1)?.values, {
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      info: 0,
    });
    assert.equal(histogram.add(at('2026-03-01T12:31:05.000Z', 3)), true);
  });
});
