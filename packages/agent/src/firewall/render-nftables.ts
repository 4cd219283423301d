import type {
  FieldProblem,
  FirewallAction,
  FirewallPolicy,
  FirewallProtocol,
  FirewallRule,
  PanelEndpoint,
} from '@palisade/core';
import { FirewallError } from './firewall-error.ts';
import { type NftAddress, nftAddress, nftComment, nftInterfaceName, nftPorts, nftSet } from './nft-values.ts';

/**
 * Renders a firewall policy (SC-2) into an `nft -f` script that replaces
 * Palisade's own table and nothing else: Docker's and the distribution's
 * tables stay as they are. A packet must pass every base chain of every table
 * on its hook, so this table can only narrow what the others allow.
 *
 * nft applies a whole script as one netlink transaction, so
 * `table {}` (create if absent) + `delete table` + `table { … }` either swaps
 * the table or, on any error, leaves the old one in force (checked against
 * nftables v1.0.6 by the namespace tests).
 */

export const PALISADE_TABLE_FAMILY = 'inet';
export const PALISADE_TABLE_NAME = 'palisade';
export const PALISADE_TABLE = `${PALISADE_TABLE_FAMILY} ${PALISADE_TABLE_NAME}`;
/** The kernel log prefix of dropped packets when the policy asks for `logDrops`. */
export const DROP_LOG_PREFIX = 'palisade-drop ';
/** One shared budget for the whole table, so a flood cannot fill the kernel log. */
export const DROP_LOG_RATE = '10/second';
const DROP_LOGGED_CHAIN = 'drop_logged';

const PROTOCOLS: Readonly<Record<FirewallProtocol, true>> = {
  tcp: true,
  udp: true,
  icmp: true,
  icmpv6: true,
  any: true,
};
const ACTIONS: Readonly<Record<FirewallAction, true>> = { accept: true, drop: true };

// RFC 4861 §6.1.1/§7.1.1: hosts discard ND messages whose hop limit is not
// 255, i.e. that did not originate on the link; RFC 3810 §5.1.14: MLD queries
// come from link-local sources. Without these, IPv6 stops resolving neighbours.
const INPUT_BASELINE = ['ct state established,related accept', 'ct state invalid drop', 'iif "lo" accept'];
const INPUT_NEIGHBOUR_DISCOVERY = [
  'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } ip6 hoplimit 255 accept',
  'ip6 saddr fe80::/10 icmpv6 type mld-listener-query accept',
];
const OUTPUT_BASELINE = ['ct state established,related accept', 'ct state invalid drop', 'oif "lo" accept'];
const OUTPUT_NEIGHBOUR_DISCOVERY = [
  'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept',
];

/**
 * The `nft -f` script for `policy`, with the panel endpoints always reachable.
 * Same input, same bytes. Throws FIREWALL_POLICY_UNRENDERABLE naming every
 * value that cannot be turned into nft syntax safely.
 */
export function renderFirewall(policy: FirewallPolicy, panel: readonly PanelEndpoint[]): string {
  const problems: FieldProblem[] = [];
  for (const [field, action] of [
    ['defaultIngress', policy.defaultIngress],
    ['defaultEgress', policy.defaultEgress],
  ] as const) {
    if (ACTIONS[action] !== true) problems.push({ path: `/${field}`, message: 'must be accept or drop' });
  }

  const input = [...INPUT_BASELINE, ...INPUT_NEIGHBOUR_DISCOVERY];
  const output = [...OUTPUT_BASELINE, ...panelRules(panel, problems), ...OUTPUT_NEIGHBOUR_DISCOVERY];
  policy.rules.forEach((rule, index) => {
    const lines = ruleLines(rule, `/rules/${index}`, policy.logDrops, problems);
    (rule.direction === 'ingress' ? input : output).push(...lines);
  });
  if (problems.length > 0) {
    throw new FirewallError(
      'FIREWALL_POLICY_UNRENDERABLE',
      'firewall policy cannot be rendered to nftables',
      {
        details: { problems },
      },
    );
  }
  if (policy.logDrops) {
    if (policy.defaultIngress === 'drop') input.push(`goto ${DROP_LOGGED_CHAIN}`);
    if (policy.defaultEgress === 'drop') output.push(`goto ${DROP_LOGGED_CHAIN}`);
  }

  const chains = [
    baseChain('input', policy.defaultIngress, input),
    baseChain('output', policy.defaultEgress, output),
  ];
  if (policy.logDrops) {
    chains.push(
      chain(DROP_LOGGED_CHAIN, [`limit rate ${DROP_LOG_RATE} log prefix "${DROP_LOG_PREFIX}"`, 'drop']),
    );
  }
  return [
    '# Palisade endpoint firewall (SC-2). Replaces table inet palisade only, in one transaction.',
    `table ${PALISADE_TABLE} {}`,
    `delete table ${PALISADE_TABLE}`,
    `table ${PALISADE_TABLE} {`,
    '\tcomment "managed by the Palisade agent; local changes are reported as drift"',
    chains.join('\n\n'),
    '}',
    '',
  ].join('\n');
}

function baseChain(hook: 'input' | 'output', policy: FirewallAction, rules: readonly string[]): string {
  return chain(hook, [`type filter hook ${hook} priority filter; policy ${policy};`, ...rules]);
}

function chain(name: string, lines: readonly string[]): string {
  return [`\tchain ${name} {`, ...lines.map((line) => `\t\t${line}`), '\t}'].join('\n');
}

/** The panel channel is accepted before any policy rule, so no policy can cut the device off its panel. */
function panelRules(panel: readonly PanelEndpoint[], problems: FieldProblem[]): string[] {
  const lines: string[] = [];
  panel.forEach(({ address, port }, index) => {
    const parsed = address.includes('/') ? undefined : nftAddress(address);
    if (parsed === undefined)
      problems.push({ path: `/panel/${index}/address`, message: 'not an IP address' });
    const ports = nftPorts([{ from: port, to: port }]);
    if (ports === undefined) problems.push({ path: `/panel/${index}/port`, message: 'not a port (1-65535)' });
    if (parsed === undefined || ports === undefined) return;
    const line = `${parsed.family} daddr ${parsed.text} tcp dport ${ports} accept comment "palisade: panel"`;
    if (!lines.includes(line)) lines.push(line);
  });
  return lines;
}

function protocolMatch(rule: FirewallRule, path: string, problems: FieldProblem[]): string | undefined {
  const { protocol, ports } = rule;
  if (PROTOCOLS[protocol] !== true) {
    problems.push({ path: `${path}/protocol`, message: 'must be tcp, udp, icmp, icmpv6 or any' });
    return undefined;
  }
  if (ports === undefined) {
    if (protocol === 'any') return '';
    return `meta l4proto ${protocol === 'icmpv6' ? 'ipv6-icmp' : protocol}`;
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    problems.push({ path: `${path}/ports`, message: 'ports apply to tcp, udp and any only' });
    return undefined;
  }
  const set = nftPorts(ports);
  if (set === undefined) {
    problems.push({ path: `${path}/ports`, message: 'must be 1-65535, ranges from <= to, not empty' });
    return undefined;
  }
  // `th dport` reads the port field at the transport header, which only means a port for these two.
  return protocol === 'any' ? `meta l4proto { tcp, udp } th dport ${set}` : `${protocol} dport ${set}`;
}

/** One policy rule as zero, one or two nft rules (an nft address match is per family). */
function ruleLines(rule: FirewallRule, path: string, logDrops: boolean, problems: FieldProblem[]): string[] {
  const before = problems.length;
  if (rule.direction !== 'ingress' && rule.direction !== 'egress') {
    problems.push({ path: `${path}/direction`, message: 'must be ingress or egress' });
  }
  if (ACTIONS[rule.action] !== true)
    problems.push({ path: `${path}/action`, message: 'must be accept or drop' });
  const ingress = rule.direction === 'ingress';

  let iface: string | undefined;
  if (rule.interface !== undefined) {
    iface = nftInterfaceName(rule.interface);
    if (iface === undefined) {
      problems.push({ path: `${path}/interface`, message: 'not an interface name nft can match safely' });
    }
  }
  const protocol = protocolMatch(rule, path, problems);
  const families = addressFamilies(rule, path, problems);
  if (problems.length > before || protocol === undefined) return [];

  const verdict = rule.action === 'accept' ? 'accept' : logDrops ? `goto ${DROP_LOGGED_CHAIN}` : 'drop';
  const comment = rule.comment === undefined ? undefined : nftComment(rule.comment);
  return families.map((family) =>
    [
      iface === undefined ? '' : `${ingress ? 'iifname' : 'oifname'} ${iface}`,
      family === undefined ? '' : `${family.family} ${ingress ? 'saddr' : 'daddr'} ${family.set}`,
      protocol,
      verdict,
      comment === undefined ? '' : `comment ${comment}`,
    ]
      .filter((part) => part !== '')
      .join(' '),
  );
}

/**
 * `[undefined]` for "any address"; otherwise one entry per family present,
 * IPv4 first. A family the protocol cannot carry (ICMP over IPv6, ICMPv6 over
 * IPv4) is left out: that half could never match.
 */
function addressFamilies(
  rule: FirewallRule,
  path: string,
  problems: FieldProblem[],
): ({ family: 'ip' | 'ip6'; set: string } | undefined)[] {
  if (rule.addresses === undefined) return [undefined];
  if (rule.addresses.length === 0) {
    // Fail closed: an empty list must not silently widen a rule to "any".
    problems.push({ path: `${path}/addresses`, message: 'must not be empty (omit it for any address)' });
    return [];
  }
  const parsed: NftAddress[] = [];
  rule.addresses.forEach((address, index) => {
    const value = nftAddress(address);
    if (value === undefined) problems.push({ path: `${path}/addresses/${index}`, message: 'not an IP/CIDR' });
    else parsed.push(value);
  });
  const result: { family: 'ip' | 'ip6'; set: string }[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    if ((family === 'ip' && rule.protocol === 'icmpv6') || (family === 'ip6' && rule.protocol === 'icmp'))
      continue;
    const texts = parsed.filter((a) => a.family === family).map((a) => a.text);
    if (texts.length > 0) result.push({ family, set: nftSet(texts) });
  }
  return result;
}
