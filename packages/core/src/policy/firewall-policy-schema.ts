import { FIREWALL_LIMITS } from './firewall-policy.ts';
import { IPV4_CIDR_SOURCE, IPV6_CIDR_SOURCE } from './ip-cidr.ts';
import {
  FIREWALL_ACTIONS,
  FIREWALL_DIRECTIONS,
  FIREWALL_PROTOCOLS,
  PORT_PROTOCOLS,
  PORT_RANGE,
} from './parse-firewall-policy.ts';
import { PATTERN_SOURCES } from './policy-patterns.ts';
import type { JsonSchema } from './schema-fragments.ts';
import {
  arraySchema,
  BOOLEAN_SCHEMA,
  conditional,
  enumSchema,
  integerSchema,
  objectSchema,
  policySchemaHeader,
} from './schema-fragments.ts';

const ACTION = enumSchema(FIREWALL_ACTIONS);
const PORT = integerSchema(PORT_RANGE);
const addressesOf = (pattern: string): JsonSchema => ({
  properties: { addresses: { type: 'array', items: { type: 'string', pattern } } },
});
const protocolIs = (protocols: readonly string[]): JsonSchema => ({
  properties: { protocol: { enum: [...protocols] } },
  required: ['protocol'],
});

const rule = objectSchema(
  {
    direction: enumSchema(FIREWALL_DIRECTIONS),
    action: ACTION,
    protocol: enumSchema(FIREWALL_PROTOCOLS),
  },
  {
    ports: arraySchema(
      {
        $comment:
          'a port, or an inclusive range; from <= to is checked by the parser (JSON Schema cannot compare members)',
        oneOf: [PORT, objectSchema({ from: PORT, to: PORT })],
      },
      { minItems: 1, maxItems: FIREWALL_LIMITS.portsPerRule },
    ),
    addresses: arraySchema(
      {
        type: 'string',
        $comment: 'host bits must be zero: checked by the parser',
        anyOf: [{ pattern: IPV4_CIDR_SOURCE }, { pattern: IPV6_CIDR_SOURCE }],
      },
      { minItems: 1, maxItems: FIREWALL_LIMITS.addressesPerRule },
    ),
    interface: {
      type: 'string',
      minLength: 1,
      maxLength: FIREWALL_LIMITS.interfaceLength,
      pattern: PATTERN_SOURCES.interfaceName,
    },
    comment: { type: 'string', maxLength: FIREWALL_LIMITS.commentLength, pattern: PATTERN_SOURCES.text },
  },
  {
    allOf: [
      conditional(protocolIs(FIREWALL_PROTOCOLS.filter((p) => !PORT_PROTOCOLS.includes(p))), {
        not: { required: ['ports'] },
      }),
      conditional(protocolIs(['icmp']), addressesOf(IPV4_CIDR_SOURCE)),
      conditional(protocolIs(['icmpv6']), addressesOf(IPV6_CIDR_SOURCE)),
    ],
  },
);

export const FIREWALL_POLICY_SCHEMA: JsonSchema = {
  ...policySchemaHeader(
    'firewall',
    'Palisade firewall policy',
    'Ingress and egress allow-listing rendered into the nftables table inet palisade (SC-2). The panel channel, loopback and established replies are always accepted by the renderer.',
  ),
  ...objectSchema({
    defaultIngress: ACTION,
    defaultEgress: ACTION,
    logDrops: BOOLEAN_SCHEMA,
    rules: arraySchema(rule, { maxItems: FIREWALL_LIMITS.rules }),
  }),
};
