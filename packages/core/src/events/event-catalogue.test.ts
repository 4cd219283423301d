import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isControlId } from './control-ids.ts';
import { EVENT_CATALOGUE, eventTypeInfo } from './event-catalogue.ts';
import { EVENT_LIMITS, EVENT_TYPE_PATTERN, FIELD_KEY_PATTERN } from './security-event.ts';

describe('EVENT_CATALOGUE', () => {
  for (const [type, info] of Object.entries(EVENT_CATALOGUE)) {
    it(`${type} is well-formed`, () => {
      assert.match(type, EVENT_TYPE_PATTERN);
      assert.ok(type.length <= EVENT_LIMITS.typeLength);
      assert.ok(
        Number.isInteger(info.defaultSeverity) && info.defaultSeverity >= 0 && info.defaultSeverity <= 10,
      );
      assert.ok(info.controls.every(isControlId) && info.controls.length > 0);
      assert.ok(info.title.length > 0 && info.title.length <= EVENT_LIMITS.messageLength);
      for (const key of Object.keys(info.fields)) assert.match(key, FIELD_KEY_PATTERN);
    });
  }

  it("lists the issue's examples, the agents' existing kinds and the panel's own", () => {
    const expected = [
      'est.enroll_rejected',
      'attestation.failed',
      'fim.modified',
      'update.rolled_back',
      'operator.login_failed',
      'device.revoked',
      'agent.started',
      'outbox.dropped',
      'identity.enrolled',
      'identity.renewed',
      'identity.renewal-failed',
      'identity.expiring',
      'identity.revoked',
      'net.connection',
      'process.started',
      'auth.login-failed',
      'file.changed',
      'tamper.detected',
    ];
    assert.deepEqual(
      expected.filter((type) => !eventTypeInfo(type)),
      [],
    );
  });

  it('does not mistake Object.prototype members for catalogued types', () => {
    assert.equal(eventTypeInfo('constructor'), undefined);
    assert.equal(eventTypeInfo('toString'), undefined);
  });
});
