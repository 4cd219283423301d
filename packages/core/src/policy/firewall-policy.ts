/**
 * The `firewall` policy kind (SC-1, SC-2): what the agent renders into its own
 * nftables table `inet palisade`. The panel channel, loopback and replies to
 * established connections are always accepted by the renderer, whatever the
 * document says, so a device can never be cut off from its panel by policy.
 */
export interface FirewallPolicy {
  /** Verdict for inbound packets no rule matched. */
  readonly defaultIngress: FirewallAction;
  /** Verdict for outbound packets no rule matched. */
  readonly defaultEgress: FirewallAction;
  /** Log dropped packets (rate-limited) with the `palisade-drop` prefix. */
  readonly logDrops: boolean;
  /** Evaluated in order; the first match decides. At most FIREWALL_LIMITS.rules. */
  readonly rules: readonly FirewallRule[];
}

export type FirewallAction = 'accept' | 'drop';
export type FirewallDirection = 'ingress' | 'egress';
export type FirewallProtocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';

export interface FirewallRule {
  readonly direction: FirewallDirection;
  readonly action: FirewallAction;
  readonly protocol: FirewallProtocol;
  /** Destination ports (tcp/udp only): single ports or inclusive ranges `{from, to}`; absent = all. */
  readonly ports?: readonly FirewallPortRange[];
  /** Remote side (source for ingress, destination for egress) as IPv4/IPv6 CIDRs; absent = any. */
  readonly addresses?: readonly string[];
  /** Interface name (iifname for ingress, oifname for egress); absent = any. */
  readonly interface?: string;
  /** Free text, carried into the nft rule comment (escaped). */
  readonly comment?: string;
}

export interface FirewallPortRange {
  readonly from: number;
  /** Inclusive; equal to `from` for a single port. */
  readonly to: number;
}

/** Where the agent reaches its panel: always accepted (egress to, replies from). */
export interface PanelEndpoint {
  /** IPv4 or IPv6 address (the agent resolves panel host names before rendering). */
  readonly address: string;
  readonly port: number;
}

export const FIREWALL_LIMITS = {
  rules: 256,
  portsPerRule: 64,
  addressesPerRule: 256,
  commentLength: 128,
  interfaceLength: 15,
} as const;
