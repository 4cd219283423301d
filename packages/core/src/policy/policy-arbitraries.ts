/**
 * Test-only fast-check generators: for each kind, documents the parser must
 * accept (`validDocument`), built from the same lists and limits, with
 * non-canonical spellings where the parser normalizes (ports as numbers,
 * IPv6 in any case and form, PCRs in any order); and `mutatedDocument`, a
 * valid document with one member deleted, replaced or added, anywhere.
 */
import fc from 'fast-check';
import { parseRuleDocument } from '../rules/parse-rule-document.ts';
import { validRuleDocument } from '../rules/rule-arbitraries.ts';
import { deviceEvaluable } from '../rules/rule-document.ts';
import { ATTESTATION_FAILURE_RESPONSES } from './attestation-policy.ts';
import {
  HASH_ALGORITHMS,
  KEY_CURVE_BITS,
  KEY_CURVES,
  TLS_GROUPS,
  TLS_SIGNATURE_ALGORITHMS,
  TLS12_CIPHER_SUITES,
  TLS13_CIPHER_SUITES,
} from './crypto-policy.ts';
import { formatCidr, networkOf } from './ip-cidr.ts';
import { PROTECTED_PATH_CLASSES } from './monitoring-policy.ts';
import type { PolicyKind } from './policy-kinds.ts';

/** Non-empty, in any order: the lists are preferences, so order is free. */
const nonEmptySubset = <T>(values: readonly T[]) => fc.shuffledSubarray([...values], { minLength: 1 });

/** Drops the code points `refused` says no to (lone surrogates are code points to codePointAt). */
const without = (refused: (code: number) => boolean) => (s: string) =>
  [...s].filter((char) => !refused(char.codePointAt(0) ?? 0)).join('');
const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
const isControl = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f);

/** Printable text, including non-ASCII and astral characters, without controls. */
const text = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).map(without((c) => isControl(c) || isSurrogate(c)));

const crypto = fc
  .record({
    minVersion: fc.constantFrom('TLSv1.2', 'TLSv1.3'),
    maxChoice: fc.constantFrom('absent', 'TLSv1.2', 'TLSv1.3'),
    requirePostQuantumGroup: fc.boolean(),
    tls13: nonEmptySubset(TLS13_CIPHER_SUITES),
    tls12: fc.shuffledSubarray([...TLS12_CIPHER_SUITES]),
    groups: nonEmptySubset(TLS_GROUPS),
    signatureAlgorithms: nonEmptySubset(TLS_SIGNATURE_ALGORITHMS),
    minRsaBits: fc.integer({ min: 2048, max: 16_384 }),
    minEcBits: fc.integer({ min: 256, max: 521 }),
    curves: fc.shuffledSubarray([...KEY_CURVES]),
    hashes: nonEmptySubset(HASH_ALGORITHMS),
    fipsProviderRequired: fc.boolean(),
    requireHybridSignatures: fc.boolean(),
  })
  .map((c) => {
    const max = c.minVersion === 'TLSv1.3' || c.requirePostQuantumGroup ? 'TLSv1.3' : c.maxChoice;
    const onlyTls12 = max === 'TLSv1.2';
    const tls12 =
      c.minVersion === 'TLSv1.2' && c.tls12.length === 0 ? ['ECDHE-ECDSA-AES128-GCM-SHA256'] : c.tls12;
    const groups =
      c.requirePostQuantumGroup && !c.groups.includes('X25519MLKEM768')
        ? ['X25519MLKEM768', ...c.groups]
        : c.groups;
    const curves = c.curves.some((curve) => KEY_CURVE_BITS[curve] >= c.minEcBits)
      ? c.curves
      : [...c.curves, 'P-521'];
    return {
      tls: {
        minVersion: c.minVersion,
        ...(max === 'absent' ? {} : { maxVersion: max }),
        cipherSuites: [...(onlyTls12 ? [] : c.tls13), ...tls12],
        groups,
        signatureAlgorithms: c.signatureAlgorithms,
        requirePostQuantumGroup: c.requirePostQuantumGroup,
      },
      keys: { minRsaBits: c.minRsaBits, minEcBits: c.minEcBits, allowedCurves: curves },
      hashes: { allowed: c.hashes },
      fipsProviderRequired: c.fipsProviderRequired,
      updates: { requireHybridSignatures: c.requireHybridSignatures },
    };
  });

const network = (bytes: number) =>
  fc
    .record({
      bytes: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
      prefix: fc.integer({ min: 0, max: bytes * 8 }),
    })
    .map(({ bytes: b, prefix }) =>
      formatCidr(networkOf({ family: b.length === 4 ? 4 : 6, bytes: b, prefix })),
    );
const ipv4 = fc.oneof(fc.ipV4(), network(4));
const ipv6 = fc.oneof(
  fc.ipV6(),
  fc.ipV6().map((a) => a.toUpperCase()),
  fc.ipV6().map((a) => `${a}/128`),
  network(16),
);
const port = fc.integer({ min: 1, max: 65_535 });
const portRange = fc.oneof(
  port,
  fc.tuple(port, port).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })),
);
const firewallRule = fc
  .record(
    {
      direction: fc.constantFrom('ingress', 'egress'),
      action: fc.constantFrom('accept', 'drop'),
      protocol: fc.constantFrom('tcp', 'udp', 'icmp', 'icmpv6', 'any'),
      ports: fc.array(portRange, { minLength: 1, maxLength: 4 }),
      addresses: fc.array(fc.oneof(ipv4, ipv6), { minLength: 1, maxLength: 4 }),
      interface: fc.stringMatching(/^[A-Za-z0-9_.-]{1,15}$/),
      comment: text(128),
    },
    { requiredKeys: ['direction', 'action', 'protocol'] },
  )
  .map((rule) => {
    const { ports, addresses, ...rest } = rule;
    const family = rule.protocol === 'icmp' ? ':' : rule.protocol === 'icmpv6' ? '.' : undefined;
    const fitting = addresses?.filter(
      (a) => family === undefined || !(family === ':' ? a.includes(':') : !a.includes(':')),
    );
    return {
      ...rest,
      ...(ports !== undefined && (rule.protocol === 'tcp' || rule.protocol === 'udp') ? { ports } : {}),
      ...(fitting !== undefined && fitting.length > 0 ? { addresses: fitting } : {}),
    };
  });
const firewall = fc.record({
  defaultIngress: fc.constantFrom('accept', 'drop'),
  defaultEgress: fc.constantFrom('accept', 'drop'),
  logDrops: fc.boolean(),
  rules: fc.array(firewallRule, { maxLength: 8 }),
});

const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((s) => s !== '.' && s !== '..'),
  fc.constantFrom('...', 'ünïcode', 'with space', '😀'),
);
const absolutePath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
const protectedPath = fc
  .record(
    {
      path: absolutePath,
      class: fc.oneof(
        fc.constantFrom(...PROTECTED_PATH_CLASSES),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
      ),
      response: fc.constantFrom('alert', 'restore', 'stop', 'immutable'),
      unit: fc.stringMatching(/^[A-Za-z0-9:_.@-]{1,20}\.service$/),
      recursive: fc.boolean(),
      exclude: fc.uniqueArray(
        text(256).filter((s) => s.length > 0),
        { minLength: 1, maxLength: 4 },
      ),
    },
    { requiredKeys: ['path', 'class', 'response', 'unit', 'recursive'] },
  )
  .map(({ unit, ...rest }) => (rest.response === 'stop' ? { ...rest, unit } : rest));
const monitoring = fc.record({
  protectedPaths: fc.uniqueArray(protectedPath, { maxLength: 6, selector: (entry) => entry.path }),
  scanIntervalSeconds: fc.integer({ min: 60, max: 86_400 }),
  fullVerifyIntervalSeconds: fc.integer({ min: 60, max: 30 * 86_400 }),
  cryptoScan: fc.record({
    intervalSeconds: fc.integer({ min: 60, max: 30 * 86_400 }),
    certificateDirs: fc.uniqueArray(absolutePath, { maxLength: 4 }),
    tlsPorts: fc.oneof(fc.constant('listening'), fc.uniqueArray(port, { maxLength: 6 })),
    expiryWarningDays: fc.integer({ min: 1, max: 365 }),
  }),
});

const attestation = fc.record({
  pcrSelection: fc.record({
    sha256: fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 24 }),
  }),
  intervalSeconds: fc.integer({ min: 60, max: 7 * 86_400 }),
  maxAgeSeconds: fc.integer({ min: 60, max: 30 * 86_400 }),
  onFailure: fc.constantFrom(...ATTESTATION_FAILURE_RESPONSES),
  requireSecureBoot: fc.boolean(),
  includeImaLog: fc.boolean(),
});

const typeFilter = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}(?:\.[a-z][a-z0-9_-]{0,8}){0,2}(?:\.\*)?$/);
const deviceRule = validRuleDocument.filter((rule) => deviceEvaluable(parseRuleDocument(rule)));
const siem = fc.record({
  forward: fc.record(
    {
      minSeverity: fc.integer({ min: 0, max: 10 }),
      includeTypes: fc.uniqueArray(typeFilter, { minLength: 1, maxLength: 4 }),
      excludeTypes: fc.uniqueArray(typeFilter, { minLength: 1, maxLength: 4 }),
    },
    { requiredKeys: ['minSeverity'] },
  ),
  rules: fc.uniqueArray(deviceRule, { maxLength: 3, selector: (rule) => rule.id }),
});

const fileContent = fc
  .string({ unit: 'binary', maxLength: 64 })
  .map(without((c) => c === 0 || isSurrogate(c)));
const configFile = fc
  .record(
    {
      path: absolutePath,
      body: fc.oneof(
        fileContent.map((content) => ({ content })),
        fc
          .uint8Array({ maxLength: 48 })
          .map((bytes) => ({ contentBase64: Buffer.from(bytes).toString('base64') })),
      ),
      mode: fc.stringMatching(/^0[0-7]{2}[0145]$/),
      owner: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/),
      group: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/),
    },
    { requiredKeys: ['path', 'body', 'mode'] },
  )
  .map(({ body, ...rest }) => ({ ...rest, ...body }));
const config = fc.record(
  {
    files: fc.uniqueArray(configFile, { maxLength: 4, selector: (file) => file.path }),
    values: fc.dictionary(
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,20}$/),
      fc.oneof(text(64), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
      { maxKeys: 5 },
    ),
  },
  { requiredKeys: ['files'] },
);

const VALID: { readonly [K in PolicyKind]: fc.Arbitrary<unknown> } = {
  crypto,
  firewall,
  monitoring,
  attestation,
  siem,
  config,
};

/** Documents of `kind` that parsePolicyDocument must accept. */
export function validDocument(kind: PolicyKind): fc.Arbitrary<unknown> {
  return VALID[kind];
}

/** Values a mutation puts in place of a member: near the edges of the limits, or any JSON. */
const replacement = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    1,
    23,
    24,
    59,
    60,
    255,
    2048,
    65_535,
    65_536,
    1.5,
    1e300,
    '',
    'x',
    '/',
    '/etc',
    '/etc/../x',
    '/etc/',
    'TLSv1.2',
    'TLSv1.3',
    'X25519MLKEM768',
    'P-521',
    'accept',
    'drop',
    'tcp',
    'icmp',
    'icmpv6',
    'any',
    '10.0.0.1/8',
    '10.0.0.0/8',
    '::1',
    'fe80::/10',
    'stop',
    'alert',
    'listening',
    'a.service',
    '0644',
    '0666',
    'AAAA',
    'fim.*',
    true,
    false,
    null,
    [],
    {},
    [1, 2],
    [443],
    [{ from: 2, to: 1 }],
    ['a', 'a'],
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

type Path = readonly (string | number)[];

function pathsOf(value: unknown, at: Path = []): Path[] {
  const here = [at];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => pathsOf(item, [...at, i]))];
  if (typeof value === 'object' && value !== null)
    return [...here, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...at, key]))];
  return here;
}

function mutate(value: unknown, path: Path, operation: 'delete' | 'replace' | 'add', next: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) {
    if (operation === 'add' && typeof value === 'object' && value !== null && !Array.isArray(value))
      return { ...value, extra: next };
    if (operation === 'add' && Array.isArray(value)) return [...value, next];
    return operation === 'delete' ? undefined : next;
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    const changed = mutate(copy[head as number], rest, operation, next);
    if (changed === undefined) copy.splice(head as number, 1);
    else copy[head as number] = changed;
    return copy;
  }
  const record = { ...(value as Record<string, unknown>) };
  const changed = mutate(record[head], rest, operation, next);
  if (changed === undefined) delete record[head];
  else record[head] = changed;
  return record;
}

/** A valid document of `kind` with one member deleted, replaced or added (or an item appended). */
export function mutatedDocument(kind: PolicyKind): fc.Arbitrary<unknown> {
  return validDocument(kind).chain((document) =>
    fc
      .tuple(
        fc.constantFrom(...pathsOf(document)),
        fc.constantFrom('delete' as const, 'replace' as const, 'add' as const),
        replacement,
      )
      .map(([path, operation, next]) => mutate(document, path, operation, next) ?? null),
  );
}
