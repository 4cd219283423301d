import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRuleDocument, RuleEngine, type SecurityEvent } from '@palisade/core';
import { DETECTION_RULE_MIX } from './detection-rule-mix.ts';
import { mixedReport } from './security-event-mix.ts';

const rules = DETECTION_RULE_MIX.map((rule) => parseRuleDocument(rule));

/** A device's report as the panel stores it (message and scalar fields; nested values as JSON text). */
function eventOf(seq: number, device: number, at: number): SecurityEvent {
  const { kind, severity, body } = mixedReport(seq, device);
  const time = new Date(at).toISOString();
  return {
    id: `e-${device}-${seq}`,
    source: 'device',
    deviceId: `gw-${device}`,
    type: kind,
    severity,
    controls: [],
    message: kind,
    occurredAt: time,
    receivedAt: time,
    fields: Object.fromEntries(
      Object.entries(body).map(([key, value]) => [key, Array.isArray(value) ? JSON.stringify(value) : value]),
    ),
  };
}

describe('DETECTION_RULE_MIX', () => {
  it('is 20 valid rules with distinct IDs: 8 match, 6 threshold, 4 sequence, 2 spread', () => {
    assert.equal(rules.length, 20);
    assert.equal(new Set(rules.map((r) => r.id)).size, 20);
    const kinds = new Map<string, number>();
    for (const rule of rules) kinds.set(rule.detect.kind, (kinds.get(rule.detect.kind) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(kinds), { match: 8, threshold: 6, sequence: 4, spread: 2 });
  });

  it('keeps every severity at 8 or below, so an exporter from severity 9 sends none of its alerts', () => {
    for (const rule of rules) assert.ok(rule.severity <= 8, `${rule.id} has severity ${rule.severity}`);
  });

  it('fires now and then on the event mix, not on every event', () => {
    const engine = new RuleEngine();
    engine.load(rules);
    const fired = new Map<string, number>();
    let events = 0;
    // One simulated minute: 32 devices, 20,000 events.
    for (let seq = 1; seq <= 625; seq++)
      for (let device = 0; device < 32; device++) {
        events += 1;
        const at = Date.parse('2026-01-01T00:00:00Z') + (seq * 60_000) / 625;
        for (const firing of engine.evaluate(eventOf(seq, device, at), { group: `line-${device % 4}`, at }))
          fired.set(firing.ruleId, (fired.get(firing.ruleId) ?? 0) + 1);
      }
    const total = [...fired.values()].reduce((sum, n) => sum + n, 0);
    for (const id of [
      'root-login-failed',
      'account-files-changed',
      'brute-force',
      'same-download-everywhere',
    ])
      assert.ok((fired.get(id) ?? 0) > 0, `${id} never fired`);
    assert.ok(total < events / 50, `${total} firings for ${events} events`);
  });
});
