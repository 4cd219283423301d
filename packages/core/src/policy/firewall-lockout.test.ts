import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PanelReachability } from './firewall-lockout.ts';
import { assertFirewallKeepsPanelReachable } from './firewall-lockout.ts';
import type { FirewallPolicy } from './firewall-policy.ts';
import { parsePolicyDocument } from './parse-policy-document.ts';
import { EXAMPLE_DOCUMENTS, policyRefusalOf } from './policy-fixtures.ts';

const PANEL: PanelReachability = {
  endpoints: [
    { address: '192.0.2.10', port: 8443 },
    { address: '2001:db8::10', port: 8443 },
  ],
  usesDnsName: false,
};
const BY_NAME: PanelReachability = { ...PANEL, usesDnsName: true };
/** A rule as an author writes it (ports may be plain numbers). */
type RuleInput = Readonly<Record<string, unknown>>;
const OPEN = { defaultIngress: 'accept', defaultEgress: 'accept', logDrops: false } as const;

function policy(rules: readonly RuleInput[], defaults: object = OPEN): FirewallPolicy {
  return parsePolicyDocument('firewall', { ...defaults, rules });
}

/** The refused rules' pointers, or [] when the policy passes. */
function lockouts(firewall: FirewallPolicy, panel: PanelReachability = PANEL): string[] {
  try {
    assertFirewallKeepsPanelReachable(firewall, panel);
    return [];
  } catch {
    return policyRefusalOf(
      () => assertFirewallKeepsPanelReachable(firewall, panel),
      'POLICY_LOCKS_OUT_PANEL',
    ).problems.map((p) => p.path);
  }
}

const egress = (action: 'accept' | 'drop', more: RuleInput = {}) =>
  ({ direction: 'egress', action, protocol: 'any', ...more }) as const;
const ingress = (action: 'accept' | 'drop', more: RuleInput = {}) =>
  ({ direction: 'ingress', action, protocol: 'any', ...more }) as const;

describe('assertFirewallKeepsPanelReachable', () => {
  it('accepts the example allow-list policy (default drop, DNS allowed)', () => {
    assert.deepEqual(lockouts(parsePolicyDocument('firewall', EXAMPLE_DOCUMENTS.firewall), BY_NAME), []);
  });

  it('refuses a drop rule matching egress to a panel endpoint, naming it by pointer', () => {
    assert.deepEqual(lockouts(policy([egress('accept', { protocol: 'udp' }), egress('drop')])), ['/rules/1']);
    assert.deepEqual(lockouts(policy([egress('drop', { protocol: 'tcp', ports: [8443] })])), ['/rules/0']);
    assert.deepEqual(lockouts(policy([egress('drop', { addresses: ['192.0.2.0/24'] })])), ['/rules/0']);
    assert.deepEqual(lockouts(policy([egress('drop', { addresses: ['2001:db8::/32'] })])), ['/rules/0']);
    const error = policyRefusalOf(
      () => assertFirewallKeepsPanelReachable(policy([egress('drop')]), PANEL),
      'POLICY_LOCKS_OUT_PANEL',
    );
    assert.match(error.problems[0]?.message ?? '', /^drops egress to the panel at 192\.0\.2\.10 port 8443/);
  });

  it('lets drop rules through that cannot match the panel channel', () => {
    assert.deepEqual(
      lockouts(
        policy([
          egress('drop', { protocol: 'udp' }),
          egress('drop', { protocol: 'tcp', ports: [443, { from: 8444, to: 9000 }] }),
          egress('drop', { addresses: ['198.51.100.0/24', '2001:db8:1::/48'] }),
          egress('drop', { protocol: 'icmp' }),
          ingress('drop', { protocol: 'tcp', ports: [22, 8443] }),
          ingress('drop', { addresses: ['203.0.113.0/24'] }),
        ]),
      ),
      [],
    );
  });

  it('refuses a drop rule matching the replies from the panel (to an ephemeral local port)', () => {
    assert.deepEqual(lockouts(policy([ingress('drop', { addresses: ['192.0.2.10'] })])), ['/rules/0']);
    assert.deepEqual(
      lockouts(policy([ingress('drop', { protocol: 'tcp', ports: [{ from: 30000, to: 40000 }] })])),
      ['/rules/0'],
    );
  });

  it('accepts a drop rule preceded by an accept rule that certainly covers the panel (first match wins)', () => {
    const panelFirst = policy([
      egress('accept', { protocol: 'tcp', ports: [8443], addresses: ['192.0.2.10', '2001:db8::10'] }),
      ingress('accept', { protocol: 'tcp', addresses: ['192.0.2.0/24', '2001:db8::/64'] }),
      egress('drop'),
      ingress('drop'),
    ]);
    assert.deepEqual(lockouts(panelFirst), []);
  });

  it('treats a rule bound to an interface as one that may match: a drop counts, an accept does not cover', () => {
    assert.deepEqual(lockouts(policy([egress('drop', { interface: 'eth1' })])), ['/rules/0']);
    assert.deepEqual(lockouts(policy([egress('accept', { interface: 'eth0' }), egress('drop')])), [
      '/rules/1',
    ]);
  });

  it('names each offending rule once, however many endpoints and flows it blocks', () => {
    assert.deepEqual(
      lockouts(policy([egress('drop'), ingress('drop'), egress('drop', { protocol: 'tcp' })])),
      ['/rules/0', '/rules/2', '/rules/1'],
    );
  });

  describe('when the panel is reached by name', () => {
    const closed = { defaultIngress: 'drop', defaultEgress: 'drop', logDrops: true } as const;

    it('refuses defaultEgress drop without an accept for DNS over udp and tcp', () => {
      assert.deepEqual(lockouts(policy([], closed), BY_NAME), ['/defaultEgress', '/defaultEgress']);
      assert.deepEqual(
        lockouts(policy([egress('accept', { protocol: 'udp', ports: [53] })], closed), BY_NAME),
        ['/defaultEgress'],
      );
      assert.deepEqual(lockouts(policy([], closed), PANEL), []);
    });

    it('refuses an explicit drop of DNS before the accept, but not one naming other resolvers', () => {
      const dns = [
        egress('accept', { protocol: 'udp', ports: [53] }),
        egress('accept', { protocol: 'tcp', ports: [53] }),
      ];
      assert.deepEqual(
        lockouts(policy([egress('drop', { protocol: 'udp', ports: [53] }), ...dns], closed), BY_NAME),
        ['/rules/0'],
      );
      assert.deepEqual(
        lockouts(
          policy([egress('drop', { protocol: 'udp', ports: [53], addresses: ['8.8.8.8'] }), ...dns], closed),
          BY_NAME,
        ),
        [],
      );
      assert.deepEqual(lockouts(policy([egress('accept')], closed), BY_NAME), []);
    });
  });

  it('throws a RangeError for a panel endpoint that is not an IP address (a caller bug, not a policy problem)', () => {
    assert.throws(
      () =>
        assertFirewallKeepsPanelReachable(policy([]), {
          endpoints: [{ address: 'panel.example', port: 443 }],
          usesDnsName: true,
        }),
      RangeError,
    );
  });
});
