/**
 * The authoring check that a firewall policy does not state the opposite of
 * the panel-reachability invariant (SC-2). The renderer accepts the panel
 * channel before any rule, so such a policy would not cut a device off; but a
 * rule that drops panel traffic says the author meant something the device
 * will never do, and that is a mistake to surface before publishing.
 */
import type { FieldProblem } from '../errors/palisade-error.ts';
import type {
  FirewallDirection,
  FirewallPolicy,
  FirewallPortRange,
  FirewallRule,
  PanelEndpoint,
} from './firewall-policy.ts';
import type { IpAddress } from './ip-cidr.ts';
import { cidrContains, formatIpAddress, parseCidr, parseIpAddress } from './ip-cidr.ts';
import { PolicyError } from './policy-error.ts';

export interface PanelReachability {
  /** Every address and port the agent may reach the panel at (resolved, replicas included). */
  readonly endpoints: readonly PanelEndpoint[];
  /** The agent's panel URL names a host, so the device must be able to resolve it (DNS, port 53). */
  readonly usesDnsName: boolean;
}

/** Linux's default net.ipv4.ip_local_port_range: the local ports of the channel's replies. */
export const EPHEMERAL_PORTS: FirewallPortRange = { from: 32768, to: 60999 };

type Match = 'no' | 'maybe' | 'yes';

interface Flow {
  readonly direction: FirewallDirection;
  readonly protocol: 'tcp' | 'udp';
  /** Local or remote port range the rule's `ports` are compared with. */
  readonly ports: FirewallPortRange;
  /** The remote address; undefined when unknown (a DNS resolver). */
  readonly remote?: IpAddress;
}

/**
 * Throws POLICY_LOCKS_OUT_PANEL, naming each offending rule by JSON pointer,
 * when a `drop` rule could match the channel's egress to a panel endpoint or
 * the replies from it before an `accept` rule certainly does (first match
 * wins; a rule bound to an interface only may match, since the route to the
 * panel may change), or when the panel is addressed by name and DNS (udp and
 * tcp 53) is dropped, by a rule or by `defaultEgress: drop` with no accept.
 * For DNS the resolver's address is unknown: an accept naming addresses is
 * taken to name the resolver, and a drop naming addresses to name others.
 *
 * @example
 * assertFirewallKeepsPanelReachable(policy, { endpoints: [{ address: '192.0.2.10', port: 8443 }], usesDnsName: true });
 */
export function assertFirewallKeepsPanelReachable(policy: FirewallPolicy, panel: PanelReachability): void {
  const problems: FieldProblem[] = [];
  const offended = new Set<number>();
  panel.endpoints.forEach((endpoint, index) => {
    const remote = parseIpAddress(endpoint.address);
    if (remote === undefined) throw new RangeError(`panel endpoint ${index} is not an IP address`);
    const where = `the panel at ${formatIpAddress(remote)} port ${endpoint.port}`;
    const flows: [Flow, string][] = [
      [
        { direction: 'egress', protocol: 'tcp', ports: { from: endpoint.port, to: endpoint.port }, remote },
        `drops egress to ${where}`,
      ],
      [
        { direction: 'ingress', protocol: 'tcp', ports: EPHEMERAL_PORTS, remote },
        `drops replies from ${where}`,
      ],
    ];
    for (const [flow, message] of flows) {
      for (const index of blockingRules(policy.rules, flow)) {
        if (offended.has(index)) continue;
        offended.add(index);
        problems.push({
          path: `/rules/${index}`,
          message: `${message}; the agent always keeps its panel channel open`,
        });
      }
    }
  });
  if (panel.usesDnsName) {
    for (const protocol of ['udp', 'tcp'] as const) {
      const dns: Flow = { direction: 'egress', protocol, ports: { from: 53, to: 53 } };
      const decided = policy.rules.findIndex((rule) => {
        const match = matches(rule, dns);
        return match !== 'no' && (rule.action === 'accept' || match === 'yes');
      });
      const rule = policy.rules[decided];
      if (rule?.action === 'accept') continue;
      if (rule === undefined && policy.defaultEgress === 'accept') continue;
      const path = rule === undefined ? '/defaultEgress' : `/rules/${decided}`;
      problems.push({
        path,
        message: `drops DNS (${protocol} 53), and the agent reaches its panel by name: accept egress ${protocol} port 53 to the resolver`,
      });
    }
  }
  if (problems.length > 0) {
    throw new PolicyError(
      'POLICY_LOCKS_OUT_PANEL',
      `firewall policy contradicts panel reachability at ${problems.map((p) => p.path).join(', ')}`,
      problems,
    );
  }
}

/** Indices of drop rules that may match the flow before an accept rule certainly does. */
function blockingRules(rules: readonly FirewallRule[], flow: Flow): number[] {
  const blocking: number[] = [];
  for (const [index, rule] of rules.entries()) {
    const match = matches(rule, flow);
    if (match === 'no') continue;
    if (rule.action === 'drop') blocking.push(index);
    else if (match === 'yes') break;
  }
  return blocking;
}

function matches(rule: FirewallRule, flow: Flow): Match {
  if (rule.direction !== flow.direction) return 'no';
  if (rule.protocol !== 'any' && rule.protocol !== flow.protocol) return 'no';
  let certain = rule.interface === undefined;
  if (rule.ports !== undefined) {
    const { from, to } = flow.ports;
    if (!rule.ports.some((range) => range.from <= to && range.to >= from)) return 'no';
    certain &&= rule.ports.some((range) => range.from <= from && range.to >= to);
  }
  if (rule.addresses !== undefined) {
    const { remote } = flow;
    if (remote === undefined) certain = false;
    else if (!rule.addresses.some((text) => contains(text, remote))) return 'no';
  }
  return certain ? 'yes' : 'maybe';
}

function contains(text: string, address: IpAddress): boolean {
  const cidr = parseCidr(text);
  return cidr !== undefined && cidrContains(cidr, address);
}
