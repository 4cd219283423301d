/**
 * Test support: fast-check arbitraries for firewall policies the parser
 * accepts (valid values, within FIREWALL_LIMITS), hostile comments included.
 */
import type { FirewallPolicy, FirewallPortRange, FirewallRule } from '@palisade/core';
import fc from 'fast-check';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((groups) => groups.map((g) => g.toString(16)).join(':'));

export const cidr = fc.oneof(
  ipv4,
  fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  ipv6,
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
);

const port = fc.integer({ min: 1, max: 65_535 });
export const portRange: fc.Arbitrary<FirewallPortRange> = fc.oneof(
  port.map((p) => ({ from: p, to: p })),
  fc.tuple(port, port).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })),
);

export const interfaceName = fc.stringMatching(/^[a-z][a-z0-9._-]{0,13}\*?$/);

/** Any text at all, weighted towards nft syntax. */
export const hostileComment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(
      fc.constantFrom('"', '\\', ';', '#', '{', '}', '$', '\n', 'accept', ' ', 'delete table ip filter', 'é'),
      {
        maxLength: 20,
      },
    )
    .map((parts) => parts.join('')),
);

export const firewallRule: fc.Arbitrary<FirewallRule> = fc
  .record(
    {
      direction: fc.constantFrom('ingress', 'egress'),
      action: fc.constantFrom('accept', 'drop'),
      protocol: fc.constantFrom('tcp', 'udp', 'icmp', 'icmpv6', 'any'),
      ports: fc.array(portRange, { minLength: 1, maxLength: 6 }),
      addresses: fc.array(cidr, { minLength: 1, maxLength: 6 }),
      interface: interfaceName,
      comment: hostileComment,
    },
    { requiredKeys: ['direction', 'action', 'protocol'] },
  )
  .map((rule) => {
    // Ports only where they mean something, as the parser insists.
    if (rule.protocol !== 'icmp' && rule.protocol !== 'icmpv6') return rule;
    const { ports: _ports, ...rest } = rule;
    return rest;
  });

export const firewallPolicy: fc.Arbitrary<FirewallPolicy> = fc.record({
  defaultIngress: fc.constantFrom('accept', 'drop'),
  defaultEgress: fc.constantFrom('accept', 'drop'),
  logDrops: fc.boolean(),
  rules: fc.array(firewallRule, { maxLength: 12 }),
});
