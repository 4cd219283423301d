import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFleetLine } from './fleet-simulator.ts';
import { routeOf } from './request-log.ts';

describe('parseFleetLine', () => {
  it('reads every counter of the live summary line', () => {
    const line =
      '[12s enrolling] enrolled 40/200 (failed 1) · connected 38 · check-ins 41 (failed 2) · ' +
      'events 7/9 delivered (failed batches 3) · pushes 36 · policies 5 (failed 1)';
    assert.deepEqual(parseFleetLine(line), {
      elapsedSeconds: 12,
      phase: 'enrolling',
      enrolled: 40,
      devices: 200,
      enrollFailures: 1,
      connected: 38,
      checkIns: 41,
      checkInFailures: 2,
      eventsDelivered: 7,
      eventsQueued: 9,
      deliveryFailures: 3,
      pushes: 36,
      policiesApplied: 5,
      policyFailures: 1,
    });
  });

  it('ignores the simulator’s log lines', () => {
    assert.equal(parseFleetLine('{"level":40,"msg":"simulated device could not enroll"}'), undefined);
  });
});

describe('routeOf', () => {
  it('leaves the device ID out of device routes', () => {
    assert.equal(routeOf('/v1/devices/fleet1-00042/check-in'), '/v1/devices/:id/check-in');
    assert.equal(routeOf('/v1/devices/sim-1/enrollment-token?x=1'), '/v1/devices/:id/enrollment-token');
  });

  it('keeps other routes as they are', () => {
    assert.equal(routeOf('/v1/devices'), '/v1/devices');
    assert.equal(routeOf('/.well-known/est/simpleenroll'), '/.well-known/est/simpleenroll');
  });
});
