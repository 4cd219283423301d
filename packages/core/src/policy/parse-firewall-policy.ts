import type { FirewallPolicy, FirewallPortRange, FirewallProtocol, FirewallRule } from './firewall-policy.ts';
import { FIREWALL_LIMITS } from './firewall-policy.ts';
import { formatCidr, hostBitsClear, networkOf, parseCidr } from './ip-cidr.ts';
import type { Report } from './policy-input.ts';
import {
  arrayAt,
  booleanAt,
  integerAt,
  objectAt,
  oneOfAt,
  optionalMember,
  stringAt,
} from './policy-input.ts';
import { PATTERNS } from './policy-patterns.ts';

export const FIREWALL_ACTIONS = ['accept', 'drop'] as const;
export const FIREWALL_DIRECTIONS = ['ingress', 'egress'] as const;
export const FIREWALL_PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'any'] as const;
/** Only these carry ports (nft `tcp dport` / `udp dport`). */
export const PORT_PROTOCOLS: readonly FirewallProtocol[] = ['tcp', 'udp'];
export const PORT_RANGE = { min: 1, max: 65535 } as const;

/**
 * Parses a `firewall` document. Ports may be written as a number or as
 * `{ from, to }` and come out as ranges; addresses come out as canonical
 * CIDRs with an explicit prefix (`10.0.0.1` → `10.0.0.1/32`, IPv6 in RFC 5952
 * form), so the renderer and the lockout check compare like with like.
 */
export function parseFirewallPolicy(input: unknown, path: string, report: Report): FirewallPolicy {
  const doc = objectAt(input, path, ['defaultIngress', 'defaultEgress', 'logDrops', 'rules'], report);
  const r = doc.report;
  return {
    defaultIngress: oneOfAt(doc.value.defaultIngress, `${path}/defaultIngress`, FIREWALL_ACTIONS, r),
    defaultEgress: oneOfAt(doc.value.defaultEgress, `${path}/defaultEgress`, FIREWALL_ACTIONS, r),
    logDrops: booleanAt(doc.value.logDrops, `${path}/logDrops`, r),
    rules: arrayAt(
      doc.value.rules,
      `${path}/rules`,
      { maxItems: FIREWALL_LIMITS.rules },
      (value, at) => parseRule(value, at, r),
      r,
    ),
  };
}

function parseRule(input: unknown, path: string, report: Report): FirewallRule {
  const { value: rule, report: r } = objectAt(
    input,
    path,
    ['direction', 'action', 'protocol', 'ports', 'addresses', 'interface', 'comment'],
    report,
  );
  const direction = oneOfAt(rule.direction, `${path}/direction`, FIREWALL_DIRECTIONS, r);
  const action = oneOfAt(rule.action, `${path}/action`, FIREWALL_ACTIONS, r);
  const protocol = oneOfAt(rule.protocol, `${path}/protocol`, FIREWALL_PROTOCOLS, r);
  const ports = rule.ports === undefined ? undefined : parsePorts(rule.ports, `${path}/ports`, r);
  if (
    ports !== undefined &&
    typeof rule.protocol === 'string' &&
    !PORT_PROTOCOLS.some((p) => p === rule.protocol)
  )
    r(`${path}/ports`, 'is only allowed with protocol tcp or udp');
  const addresses =
    rule.addresses === undefined
      ? undefined
      : arrayAt(
          rule.addresses,
          `${path}/addresses`,
          { minItems: 1, maxItems: FIREWALL_LIMITS.addressesPerRule },
          (value, at) => parseAddress(value, at, rule.protocol, r),
          r,
        );
  const iface =
    rule.interface === undefined
      ? undefined
      : stringAt(
          rule.interface,
          `${path}/interface`,
          {
            pattern: PATTERNS.interfaceName,
            maxLength: FIREWALL_LIMITS.interfaceLength,
            what: 'an interface name of A-Z a-z 0-9 _ . -',
          },
          r,
        );
  const comment =
    rule.comment === undefined
      ? undefined
      : stringAt(
          rule.comment,
          `${path}/comment`,
          {
            pattern: PATTERNS.text,
            minLength: 0,
            maxLength: FIREWALL_LIMITS.commentLength,
            what: 'text without control characters',
          },
          r,
        );
  return {
    direction,
    action,
    protocol,
    ...optionalMember('ports', ports),
    ...optionalMember('addresses', addresses),
    ...optionalMember('interface', iface),
    ...optionalMember('comment', comment),
  };
}

function parsePorts(input: unknown, path: string, report: Report): FirewallPortRange[] {
  return arrayAt(
    input,
    path,
    { minItems: 1, maxItems: FIREWALL_LIMITS.portsPerRule },
    (value, at): FirewallPortRange => {
      if (typeof value === 'number') {
        const port = integerAt(value, at, PORT_RANGE, report);
        return { from: port, to: port };
      }
      const range = objectAt(value, at, ['from', 'to'], report);
      const from = integerAt(range.value.from, `${at}/from`, PORT_RANGE, range.report);
      const to = integerAt(range.value.to, `${at}/to`, PORT_RANGE, range.report);
      if (from > to) range.report(`${at}/to`, `must not be below from (${from})`);
      return { from, to };
    },
    report,
  );
}

function parseAddress(value: unknown, path: string, protocol: unknown, report: Report): string {
  if (typeof value !== 'string') {
    report(path, 'must be a string');
    return '';
  }
  const cidr = parseCidr(value);
  if (cidr === undefined) {
    report(path, 'must be an IPv4 or IPv6 address or CIDR, e.g. 192.0.2.0/24 or 2001:db8::/32');
    return value;
  }
  // An ICMP rule with an IPv6 address (or ICMPv6 with IPv4) could never match.
  if (protocol === 'icmp' && cidr.family !== 4) report(path, 'must be an IPv4 CIDR: protocol is icmp');
  if (protocol === 'icmpv6' && cidr.family !== 6) report(path, 'must be an IPv6 CIDR: protocol is icmpv6');
  if (!hostBitsClear(cidr)) report(path, `has host bits set: the network is ${formatCidr(networkOf(cidr))}`);
  return formatCidr(cidr);
}
