import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldProblem, FirewallPolicy, FirewallRule, PanelEndpoint } from '@palisade/core';
import fc from 'fast-check';
import { firewallPolicy, hostileComment } from './firewall-arbitraries.ts';
import { FirewallError } from './firewall-error.ts';
import { renderFirewall } from './render-nftables.ts';

const PANEL: PanelEndpoint[] = [
  { address: '192.0.2.10', port: 8443 },
  { address: '2001:db8::10', port: 8443 },
];
const CLOSED: FirewallPolicy = { defaultIngress: 'drop', defaultEgress: 'drop', logDrops: false, rules: [] };

function policyWith(...rules: FirewallRule[]): FirewallPolicy {
  return { ...CLOSED, rules };
}

/** The rule lines of one chain, without its `type … policy …;` header. */
function chainRules(script: string, chain: string): string[] {
  const body = script.split(`\tchain ${chain} {\n`)[1]?.split('\n\t}')[0];
  assert.ok(body !== undefined, `chain ${chain} is missing`);
  return body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => !line.startsWith('type '));
}

function unrenderable(policy: FirewallPolicy, panel: PanelEndpoint[] = PANEL): readonly FieldProblem[] {
  try {
    renderFirewall(policy, panel);
  } catch (error) {
    assert.ok(error instanceof FirewallError);
    assert.equal(error.code, 'FIREWALL_POLICY_UNRENDERABLE');
    return error.details?.problems as FieldProblem[];
  }
  assert.fail('rendered a policy that should be refused');
}

describe('renderFirewall', () => {
  it('replaces only table inet palisade, create-delete-define in one script', () => {
    const script = renderFirewall(CLOSED, PANEL);
    const statements = script.split('\n').filter((line) => /^\S/.test(line) && !line.startsWith('#'));
    assert.deepEqual(statements, [
      'table inet palisade {}',
      'delete table inet palisade',
      'table inet palisade {',
      '}',
    ]);
    assert.doesNotMatch(script, /flush ruleset|table (ip|ip6|arp|bridge|netdev) /);
  });

  it('puts established, invalid, loopback, the panel and neighbour discovery before any policy rule', () => {
    const script = renderFirewall(
      policyWith(
        { direction: 'egress', action: 'drop', protocol: 'any' },
        {
          direction: 'ingress',
          action: 'drop',
          protocol: 'any',
        },
      ),
      PANEL,
    );
    assert.deepEqual(chainRules(script, 'input'), [
      'ct state established,related accept',
      'ct state invalid drop',
      'iif "lo" accept',
      'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } ip6 hoplimit 255 accept',
      'ip6 saddr fe80::/10 icmpv6 type mld-listener-query accept',
      'drop',
    ]);
    assert.deepEqual(chainRules(script, 'output'), [
      'ct state established,related accept',
      'ct state invalid drop',
      'oif "lo" accept',
      'ip daddr 192.0.2.10 tcp dport 8443 accept comment "palisade: panel"',
      'ip6 daddr 2001:db8::10 tcp dport 8443 accept comment "palisade: panel"',
      'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept',
      'drop',
    ]);
  });

  it('sets each base chain policy from defaultIngress and defaultEgress', () => {
    const script = renderFirewall({ ...CLOSED, defaultEgress: 'accept' }, PANEL);
    assert.match(script, /chain input \{\n\t\ttype filter hook input priority filter; policy drop;\n/);
    assert.match(script, /chain output \{\n\t\ttype filter hook output priority filter; policy accept;\n/);
  });

  it('renders ports, ranges, interfaces and addresses in policy order', () => {
    const script = renderFirewall(
      policyWith(
        {
          direction: 'ingress',
          action: 'accept',
          protocol: 'tcp',
          ports: [
            { from: 22, to: 22 },
            { from: 8000, to: 8080 },
          ],
          addresses: ['10.0.0.0/8'],
          interface: 'eth0',
        },
        { direction: 'ingress', action: 'accept', protocol: 'udp', ports: [{ from: 161, to: 161 }] },
        {
          direction: 'egress',
          action: 'accept',
          protocol: 'any',
          ports: [{ from: 53, to: 53 }],
          interface: 'wlan*',
        },
        { direction: 'egress', action: 'drop', protocol: 'icmp' },
        { direction: 'ingress', action: 'accept', protocol: 'icmpv6' },
      ),
      [],
    );
    assert.deepEqual(chainRules(script, 'input').slice(5), [
      'iifname "eth0" ip saddr 10.0.0.0/8 tcp dport { 22, 8000-8080 } accept',
      'udp dport 161 accept',
      'meta l4proto ipv6-icmp accept',
    ]);
    assert.deepEqual(chainRules(script, 'output').slice(4), [
      'oifname "wlan*" meta l4proto { tcp, udp } th dport 53 accept',
      'meta l4proto icmp drop',
    ]);
  });

  it('splits a rule with IPv4 and IPv6 addresses into one nft rule per family, IPv4 first', () => {
    const script = renderFirewall(
      policyWith({
        direction: 'egress',
        action: 'accept',
        protocol: 'tcp',
        ports: [{ from: 443, to: 443 }],
        addresses: ['2001:DB8::/32', '198.51.100.0/24', 'fd00::1', '203.0.113.7'],
      }),
      [],
    );
    assert.deepEqual(chainRules(script, 'output').slice(4), [
      'ip daddr { 198.51.100.0/24, 203.0.113.7 } tcp dport 443 accept',
      'ip6 daddr { 2001:db8::/32, fd00::1 } tcp dport 443 accept',
    ]);
  });

  it('leaves out the half of a rule its protocol cannot carry (ICMP to IPv6 addresses)', () => {
    const script = renderFirewall(
      policyWith({
        direction: 'ingress',
        action: 'accept',
        protocol: 'icmp',
        addresses: ['fd00::/8', '10.0.0.1'],
      }),
      [],
    );
    assert.deepEqual(chainRules(script, 'input').slice(5), ['ip saddr 10.0.0.1 meta l4proto icmp accept']);
  });

  it('with logDrops, sends policy drops and default drops through one rate-limited log chain', () => {
    const script = renderFirewall(
      {
        defaultIngress: 'drop',
        defaultEgress: 'accept',
        logDrops: true,
        rules: [{ direction: 'egress', action: 'drop', protocol: 'tcp', ports: [{ from: 25, to: 25 }] }],
      },
      [],
    );
    assert.equal(chainRules(script, 'input').at(-1), 'goto drop_logged');
    assert.deepEqual(chainRules(script, 'output').slice(4), ['tcp dport 25 goto drop_logged']);
    assert.deepEqual(chainRules(script, 'drop_logged'), [
      'limit rate 10/second log prefix "palisade-drop "',
      'drop',
    ]);
  });

  it('without logDrops, has no log chain and drops in place', () => {
    const script = renderFirewall(policyWith({ direction: 'ingress', action: 'drop', protocol: 'any' }), []);
    assert.doesNotMatch(script, /drop_logged|log prefix/);
    assert.equal(chainRules(script, 'input').at(-1), 'drop');
  });

  it('is deterministic: the same policy renders the same bytes', () => {
    fc.assert(
      fc.property(firewallPolicy, (policy) => {
        const copy = structuredClone(policy);
        assert.equal(renderFirewall(policy, PANEL), renderFirewall(copy, PANEL));
      }),
    );
  });

  describe('comments', () => {
    it('neutralises an injection attempt: the quote cannot close the comment', () => {
      const script = renderFirewall(
        policyWith({
          direction: 'ingress',
          action: 'drop',
          protocol: 'any',
          comment: 'x" accept; delete table ip filter; add rule inet palisade input accept comment "',
        }),
        [],
      );
      assert.equal(
        chainRules(script, 'input')[5],
        'drop comment "x_ accept_ delete table ip filter_ add rule inet palisade input accept comment _"',
      );
    });

    it('keeps a hostile comment inside one quoted token of safe characters (property)', () => {
      const baseline = renderFirewall(
        policyWith({ direction: 'egress', action: 'drop', protocol: 'any' }),
        [],
      );
      fc.assert(
        fc.property(hostileComment, (comment) => {
          const script = renderFirewall(
            policyWith({ direction: 'egress', action: 'drop', protocol: 'any', comment }),
            [],
          );
          const line = chainRules(script, 'output')[4] ?? '';
          assert.match(line, /^drop( comment "[A-Za-z0-9 _.,:/()+=@%!?'-]{1,128}")?$/);
          assert.equal(script.replace(line, 'drop'), baseline);
        }),
      );
    });
  });

  describe('refusals (FIREWALL_POLICY_UNRENDERABLE)', () => {
    it('names every bad value of every rule', () => {
      const problems = unrenderable(
        policyWith(
          {
            direction: 'ingress',
            action: 'accept',
            protocol: 'tcp',
            addresses: ['10.0.0.0/33', 'fe80::1%eth0'],
          },
          { direction: 'ingress', action: 'accept', protocol: 'tcp', interface: 'eth0" accept' },
          { direction: 'egress', action: 'accept', protocol: 'icmp', ports: [{ from: 1, to: 1 }] },
          { direction: 'egress', action: 'accept', protocol: 'udp', ports: [{ from: 90, to: 80 }] },
          { direction: 'egress', action: 'accept', protocol: 'udp', addresses: [] },
        ),
      );
      assert.deepEqual(
        problems.map((p) => p.path),
        [
          '/rules/0/addresses/0',
          '/rules/0/addresses/1',
          '/rules/1/interface',
          '/rules/2/ports',
          '/rules/3/ports',
          '/rules/4/addresses',
        ],
      );
    });

    it('refuses ports outside 1-65535 and non-integers', () => {
      for (const from of [0, 65_536, 22.5, Number.NaN]) {
        const problems = unrenderable(
          policyWith({ direction: 'ingress', action: 'accept', protocol: 'tcp', ports: [{ from, to: 80 }] }),
        );
        assert.deepEqual(
          problems.map((p) => p.path),
          ['/rules/0/ports'],
        );
      }
    });

    it('refuses a panel endpoint that is not a plain address and port', () => {
      const problems = unrenderable(CLOSED, [
        { address: '192.0.2.0/24', port: 8443 },
        { address: 'panel.example.net', port: 8443 },
        { address: '192.0.2.1', port: 0 },
      ]);
      assert.deepEqual(
        problems.map((p) => p.path),
        ['/panel/0/address', '/panel/1/address', '/panel/2/port'],
      );
    });

    it('refuses enum values outside the policy types (a caller that bypassed the parser)', () => {
      const problems = unrenderable({
        ...CLOSED,
        defaultIngress: 'reject' as 'drop',
        rules: [{ direction: 'ingress', action: 'jump x' as 'drop', protocol: 'sctp' as 'tcp' }],
      });
      assert.deepEqual(
        problems.map((p) => p.path),
        ['/defaultIngress', '/rules/0/action', '/rules/0/protocol'],
      );
    });
  });
});
