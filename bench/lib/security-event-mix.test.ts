import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_CATALOGUE } from '@palisade/core';
import { mixedReport } from './security-event-mix.ts';

describe('mixedReport', () => {
  it('gives the documented share of each event type over every 100 consecutive reports', () => {
    const counts = new Map<string, number>();
    for (let seq = 4200; seq < 4300; seq++) {
      const kind = mixedReport(seq, 3).kind;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), {
      'process.exec': 70,
      'net.connection': 13,
      'process.started': 8,
      'auth.login-failed': 5,
      'file.changed': 4,
    });
  });

  it('uses catalogue types (besides the benchmarks’ process.exec) and the catalogue’s documented fields', () => {
    for (let seq = 0; seq < 100; seq++) {
      const { kind, body } = mixedReport(seq, 0);
      if (kind === 'process.exec') continue;
      const info = EVENT_CATALOGUE[kind];
      assert.ok(info, `${kind} is not in the event catalogue`);
      for (const [key, spec] of Object.entries(info.fields))
        if (key in body) assert.equal(typeof body[key], spec.type, `${kind}.${key}`);
    }
  });

  it('is deterministic and varies addresses by device', () => {
    assert.deepEqual(mixedReport(75, 1), mixedReport(75, 1));
    assert.notDeepEqual(mixedReport(75, 1).body, mixedReport(75, 2).body);
  });
});
