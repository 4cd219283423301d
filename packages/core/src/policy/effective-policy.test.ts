import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type {
  EffectivePolicy,
  FleetDevice,
  PolicyAssignment,
  PolicyScope,
  PolicySource,
} from './effective-policy.ts';
import { compareCodeUnits, computeEffectivePolicies } from './effective-policy.ts';
import { diffEffectivePolicies } from './effective-policy-diff.ts';
import type { PolicyKind } from './policy-kinds.ts';
import { POLICY_KINDS } from './policy-kinds.ts';

const fleet: PolicyScope = { type: 'fleet' };
const group = (groupId: string): PolicyScope => ({ type: 'group', groupId });
const tag = (name: string): PolicyScope => ({ type: 'tag', tag: name });
const device = (deviceId: string): PolicyScope => ({ type: 'device', deviceId });
const assign = (kind: PolicyKind, policyId: string, scope: PolicyScope): PolicyAssignment => ({
  kind,
  policyId,
  scope,
});

const DEVICES: FleetDevice[] = [
  { id: 'gw-1', groupId: 'hall-a', tags: ['dmz', 'legacy'] },
  { id: 'gw-2', groupId: 'hall-a', tags: [] },
  { id: 'gw-3', groupId: 'hall-a', tags: [] },
  { id: 'gw-4', groupId: null, tags: ['legacy'] },
];
const ASSIGNMENTS: PolicyAssignment[] = [
  assign('crypto', 'crypto-fleet', fleet),
  assign('crypto', 'crypto-hall-a', group('hall-a')),
  assign('crypto', 'crypto-dmz', tag('dmz')),
  assign('crypto', 'crypto-gw-1', device('gw-1')),
  assign('firewall', 'fw-fleet', fleet),
  assign('firewall', 'fw-hall-a', group('hall-a')),
  assign('monitoring', 'mon-fleet', fleet),
  assign('monitoring', 'mon-legacy', tag('legacy')),
  assign('attestation', 'att-fleet', fleet),
];

describe('computeEffectivePolicies', () => {
  const { byDevice, conflicts } = computeEffectivePolicies(DEVICES, ASSIGNMENTS);

  it('takes, per kind, the most specific assignment: device > tag > group > fleet, and says where it came from', () => {
    assert.deepEqual(byDevice.get('gw-1'), {
      crypto: { policyId: 'crypto-gw-1', scope: device('gw-1') },
      firewall: { policyId: 'fw-hall-a', scope: group('hall-a') },
      monitoring: { policyId: 'mon-legacy', scope: tag('legacy') },
      attestation: { policyId: 'att-fleet', scope: fleet },
    });
    assert.deepEqual(byDevice.get('gw-4'), {
      crypto: { policyId: 'crypto-fleet', scope: fleet },
      firewall: { policyId: 'fw-fleet', scope: fleet },
      monitoring: { policyId: 'mon-legacy', scope: tag('legacy') },
      attestation: { policyId: 'att-fleet', scope: fleet },
    });
    assert.deepEqual(conflicts, []);
  });

  it('leaves out a kind nothing is assigned for', () => {
    assert.equal(byDevice.get('gw-2')?.siem, undefined);
    assert.equal('siem' in (byDevice.get('gw-2') ?? {}), false);
  });

  it('shares one result object between the devices of a group with nothing more specific', () => {
    assert.equal(byDevice.get('gw-2'), byDevice.get('gw-3'));
    assert.ok(Object.isFrozen(byDevice.get('gw-2')));
  });

  it('breaks a tie between two tags by the lowest tag name, whatever the order of the tags, and reports it', () => {
    const assignments = [assign('firewall', 'fw-b', tag('zeta')), assign('firewall', 'fw-z', tag('alpha'))];
    for (const tags of [
      ['zeta', 'alpha'],
      ['alpha', 'zeta'],
    ]) {
      const result = computeEffectivePolicies([{ id: 'gw-9', groupId: null, tags }], assignments);
      const expected: EffectivePolicy = {
        policyId: 'fw-z',
        scope: tag('alpha'),
        tiedWith: [{ policyId: 'fw-b', scope: tag('zeta') }],
      };
      assert.deepEqual(result.byDevice.get('gw-9')?.firewall, expected);
      assert.deepEqual(result.conflicts, [{ deviceId: 'gw-9', kind: 'firewall', chosen: expected }]);
    }
  });

  it('sees no conflict when two tags assign the same policy', () => {
    const assignments = [assign('siem', 'siem-1', tag('b')), assign('siem', 'siem-1', tag('a'))];
    const result = computeEffectivePolicies([{ id: 'gw-9', groupId: null, tags: ['b', 'a'] }], assignments);
    assert.deepEqual(result.byDevice.get('gw-9')?.siem, { policyId: 'siem-1', scope: tag('a') });
    assert.deepEqual(result.conflicts, []);
  });

  it('breaks a tie within one scope by the lowest policyId', () => {
    const assignments = [assign('config', 'cfg-2', group('g')), assign('config', 'cfg-1', group('g'))];
    const result = computeEffectivePolicies([{ id: 'gw-9', groupId: 'g', tags: [] }], assignments);
    assert.deepEqual(result.byDevice.get('gw-9')?.config, {
      policyId: 'cfg-1',
      scope: group('g'),
      tiedWith: [{ policyId: 'cfg-2', scope: group('g') }],
    });
    assert.equal(result.conflicts.length, 1);
  });

  it('agrees with a direct reading of the precedence rules on random fleets', () => {
    const name = (prefix: string, count: number) =>
      fc.integer({ min: 0, max: count - 1 }).map((i) => `${prefix}${i}`);
    const scope: fc.Arbitrary<PolicyScope> = fc.oneof(
      fc.constant(fleet),
      name('g', 3).map(group),
      name('t', 5).map(tag),
      name('d', 8).map(device),
    );
    const devices = fc.uniqueArray(
      fc.record({
        id: name('d', 10),
        groupId: fc.option(name('g', 4), { nil: null }),
        tags: fc.uniqueArray(name('t', 6), { maxLength: 3 }),
      }),
      { selector: (d) => d.id, maxLength: 10 },
    );
    const assignments = fc.array(
      fc.record({ kind: fc.constantFrom(...POLICY_KINDS), policyId: name('p', 6), scope }),
      { maxLength: 25 },
    );
    fc.assert(
      fc.property(devices, assignments, (fleetDevices, fleetAssignments) => {
        const { byDevice } = computeEffectivePolicies(fleetDevices, fleetAssignments);
        for (const d of fleetDevices)
          for (const kind of POLICY_KINDS)
            assert.deepEqual(
              byDevice.get(d.id)?.[kind],
              reference(d, kind, fleetAssignments),
              `${d.id} ${kind}`,
            );
      }),
      { numRuns: 400 },
    );
  });
});

/** The precedence rules read literally, one device and kind at a time (O(assignments)). */
function reference(
  d: FleetDevice,
  kind: PolicyKind,
  assignments: readonly PolicyAssignment[],
): EffectivePolicy | undefined {
  const ofKind = assignments.filter((a) => a.kind === kind);
  const levels: ((s: PolicyScope) => boolean)[] = [
    (s) => s.type === 'device' && s.deviceId === d.id,
    (s) => s.type === 'tag' && d.tags.includes(s.tag),
    (s) => s.type === 'group' && s.groupId === d.groupId,
    (s) => s.type === 'fleet',
  ];
  for (const matches of levels) {
    const candidates = ofKind
      .filter((a) => matches(a.scope))
      .map((a): PolicySource => ({ policyId: a.policyId, scope: a.scope }))
      .sort((a, b) => {
        const tagOrder = compareCodeUnits(
          a.scope.type === 'tag' ? a.scope.tag : '',
          b.scope.type === 'tag' ? b.scope.tag : '',
        );
        return tagOrder !== 0 ? tagOrder : compareCodeUnits(a.policyId, b.policyId);
      });
    const [winner, ...rest] = candidates;
    if (winner === undefined) continue;
    const tiedWith = rest.filter(
      (c, i) => c.policyId !== winner.policyId && rest.findIndex((o) => o.policyId === c.policyId) === i,
    );
    return tiedWith.length > 0 ? { ...winner, tiedWith } : winner;
  }
  return undefined;
}

describe('diffEffectivePolicies', () => {
  const before = computeEffectivePolicies(DEVICES, ASSIGNMENTS);

  it('lists only the devices whose policy of some kind changes, with before and after', () => {
    const after = computeEffectivePolicies(DEVICES, [
      ...ASSIGNMENTS,
      assign('firewall', 'fw-legacy', tag('legacy')),
    ]);
    assert.deepEqual(diffEffectivePolicies(before, after), [
      {
        deviceId: 'gw-1',
        changes: [
          {
            kind: 'firewall',
            before: { policyId: 'fw-hall-a', scope: group('hall-a') },
            after: { policyId: 'fw-legacy', scope: tag('legacy') },
          },
        ],
      },
      {
        deviceId: 'gw-4',
        changes: [
          {
            kind: 'firewall',
            before: { policyId: 'fw-fleet', scope: fleet },
            after: { policyId: 'fw-legacy', scope: tag('legacy') },
          },
        ],
      },
    ]);
  });

  it('does not count the same policy reached through another scope as a change', () => {
    const after = computeEffectivePolicies(DEVICES, [
      ...ASSIGNMENTS,
      assign('attestation', 'att-fleet', group('hall-a')),
    ]);
    assert.deepEqual(diffEffectivePolicies(before, after), []);
  });

  it('lists a kind that appears or disappears, and devices added or removed', () => {
    const after = computeEffectivePolicies(
      [...DEVICES.slice(1), { id: 'gw-5', groupId: null, tags: [] }],
      ASSIGNMENTS.filter((a) => a.kind !== 'attestation'),
    );
    const changes = diffEffectivePolicies(before, after);
    assert.deepEqual(
      changes.map((c) => [c.deviceId, c.changes.map((k) => k.kind)]),
      [
        ['gw-2', ['attestation']],
        ['gw-3', ['attestation']],
        ['gw-4', ['attestation']],
        ['gw-5', ['crypto', 'firewall', 'monitoring']],
        ['gw-1', ['crypto', 'firewall', 'monitoring', 'attestation']],
      ],
    );
    assert.equal(changes[3]?.changes[0]?.before, undefined);
    assert.equal(changes[4]?.changes[0]?.after, undefined);
  });
});
