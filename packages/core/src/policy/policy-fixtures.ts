/**
 * Test-only policy documents: one valid example per kind (the ones
 * docs/policies.md shows), and hand-written invalid documents with the JSON
 * pointers the parser must name. `beyondSchema` marks the invalid documents
 * only the parser refuses, because JSON Schema cannot state the constraint.
 */
import assert from 'node:assert/strict';
import type { PolicyErrorCode } from './policy-error.ts';
import { PolicyError } from './policy-error.ts';
import type { PolicyKind } from './policy-kinds.ts';

export const EXAMPLE_DOCUMENTS = {
  crypto: {
    tls: {
      minVersion: 'TLSv1.2',
      cipherSuites: [
        'TLS_AES_256_GCM_SHA384',
        'TLS_AES_128_GCM_SHA256',
        'TLS_CHACHA20_POLY1305_SHA256',
        'ECDHE-ECDSA-AES256-GCM-SHA384',
        'ECDHE-ECDSA-AES128-GCM-SHA256',
      ],
      groups: ['X25519MLKEM768', 'X25519', 'P-256', 'P-384'],
      signatureAlgorithms: [
        'ecdsa_secp256r1_sha256',
        'ecdsa_secp384r1_sha384',
        'rsa_pss_rsae_sha256',
        'ed25519',
        'mldsa65',
      ],
      requirePostQuantumGroup: true,
    },
    keys: { minRsaBits: 3072, minEcBits: 256, allowedCurves: ['P-256', 'P-384', 'Ed25519'] },
    hashes: { allowed: ['SHA-256', 'SHA-384', 'SHA-512', 'SHA3-256'] },
    fipsProviderRequired: false,
    updates: { requireHybridSignatures: true },
  },
  firewall: {
    defaultIngress: 'drop',
    defaultEgress: 'drop',
    logDrops: true,
    rules: [
      { direction: 'egress', action: 'accept', protocol: 'udp', ports: [53], comment: 'DNS' },
      { direction: 'egress', action: 'accept', protocol: 'tcp', ports: [53] },
      {
        direction: 'egress',
        action: 'accept',
        protocol: 'udp',
        ports: [123],
        addresses: ['192.0.2.123'],
        comment: 'NTP',
      },
      {
        direction: 'ingress',
        action: 'accept',
        protocol: 'tcp',
        ports: [{ from: 502, to: 502 }],
        addresses: ['10.20.0.0/16'],
        interface: 'eth1',
        comment: 'Modbus/TCP from the cell network',
      },
      { direction: 'ingress', action: 'accept', protocol: 'icmpv6', addresses: ['fe80::/10'] },
    ],
  },
  monitoring: {
    protectedPaths: [
      { path: '/boot', class: 'boot', response: 'alert', recursive: true },
      { path: '/usr/bin', class: 'binaries', response: 'immutable', recursive: true },
      {
        path: '/opt/plc/runtime',
        class: 'application',
        response: 'stop',
        unit: 'plc-runtime.service',
        recursive: true,
        exclude: ['logs/**', '*.tmp'],
      },
      { path: '/etc/plc/plc.conf', class: 'config', response: 'restore', recursive: false },
    ],
    scanIntervalSeconds: 300,
    fullVerifyIntervalSeconds: 86_400,
    cryptoScan: {
      intervalSeconds: 86_400,
      certificateDirs: ['/etc/ssl/certs', '/opt/plc/tls'],
      tlsPorts: 'listening',
      expiryWarningDays: 30,
    },
  },
  attestation: {
    pcrSelection: { sha256: [0, 1, 2, 3, 4, 5, 6, 7] },
    intervalSeconds: 3600,
    maxAgeSeconds: 7200,
    onFailure: 'quarantine',
    requireSecureBoot: true,
    includeImaLog: false,
  },
  siem: {
    forward: { minSeverity: 3, excludeTypes: ['inventory', 'process.*'] },
    rules: [
      {
        id: 'ssh-brute-force',
        title: 'Repeated failed logins',
        severity: 7,
        controls: ['SI-2'],
        match: { field: 'type', op: 'eq', value: 'auth.login-failed' },
        detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'device' },
      },
    ],
  },
  config: {
    files: [
      {
        path: '/etc/plc/modbus.conf',
        content: 'unit_id = 17\ntimeout_ms = 500\n',
        mode: '0640',
        owner: 'plc',
        group: 'plc',
      },
      { path: '/opt/plc/splash.png', contentBase64: 'iVBORw0KGgo=', mode: '0644' },
    ],
    values: { 'modbus.timeoutMs': 500, 'modbus.unitId': '17', 'historian.enabled': true },
  },
} as const satisfies Record<PolicyKind, unknown>;

export interface InvalidDocument {
  readonly kind: PolicyKind;
  readonly name: string;
  readonly document: unknown;
  /** Every pointer the parser must name, in order. */
  readonly pointers: readonly string[];
  /** Only the parser can refuse it (JSON Schema cannot express the constraint). */
  readonly beyondSchema?: true;
}

const { crypto, firewall, monitoring, attestation, siem, config } = EXAMPLE_DOCUMENTS;
const tls = crypto.tls;
const rule0 = firewall.rules[0];
const path0 = monitoring.protectedPaths[0];
const file0 = config.files[0];

export const INVALID_DOCUMENTS: readonly InvalidDocument[] = [
  { kind: 'crypto', name: 'not an object', document: [], pointers: [''] },
  {
    kind: 'crypto',
    name: 'unknown and missing members, unknown names',
    document: {
      ...crypto,
      fipsProviderRequired: undefined,
      legacy: true,
      tls: {
        ...tls,
        cipherSuites: ['TLS_AES_256_GCM_SHA384', 'RC4-MD5'],
        groups: ['X25519MLKEM768', 'secp112r1'],
      },
      hashes: { allowed: ['SHA-256', 'MD5', 'SHA-256'] },
    },
    pointers: [
      '/legacy',
      '/tls/cipherSuites/1',
      '/tls/cipherSuites',
      '/tls/groups/1',
      '/hashes/allowed/1',
      '/hashes/allowed/2',
      '/fipsProviderRequired',
    ],
  },
  {
    kind: 'crypto',
    name: 'maxVersion below minVersion',
    document: {
      ...crypto,
      tls: { ...tls, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2', requirePostQuantumGroup: false },
    },
    pointers: ['/tls/maxVersion'],
  },
  {
    kind: 'crypto',
    name: 'TLS 1.3 enabled without a TLS 1.3 suite',
    document: { ...crypto, tls: { ...tls, cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] } },
    pointers: ['/tls/cipherSuites'],
  },
  {
    kind: 'crypto',
    name: 'post-quantum group required with TLS 1.2 only',
    document: { ...crypto, tls: { ...tls, maxVersion: 'TLSv1.2' } },
    pointers: ['/tls/maxVersion'],
  },
  {
    kind: 'crypto',
    name: 'post-quantum group required but not offered, keys too small',
    document: {
      ...crypto,
      tls: { ...tls, groups: ['X25519'] },
      keys: { minRsaBits: 1024, minEcBits: 384, allowedCurves: ['P-256', 'Ed25519'] },
    },
    pointers: ['/tls/groups', '/keys/minRsaBits', '/keys/allowedCurves'],
  },
  {
    kind: 'firewall',
    name: 'bad actions, ports and addresses',
    document: {
      ...firewall,
      defaultEgress: 'reject',
      rules: [
        { ...rule0, ports: [0, 65536, { from: 10, to: 20, step: 2 }] },
        { direction: 'egress', action: 'accept', protocol: 'icmp', ports: [1], addresses: ['2001:db8::/32'] },
        {
          direction: 'in',
          action: 'accept',
          protocol: 'tcp',
          addresses: ['10.0.0.0/33', '01.2.3.4', 'fe80::1%eth0'],
        },
        {
          direction: 'egress',
          action: 'drop',
          protocol: 'any',
          interface: 'a-very-long-interface',
          comment: 'bell\u0007',
        },
      ],
    },
    pointers: [
      '/defaultEgress',
      '/rules/0/ports/0',
      '/rules/0/ports/1',
      '/rules/0/ports/2/step',
      '/rules/1/ports',
      '/rules/1/addresses/0',
      '/rules/2/direction',
      '/rules/2/addresses/0',
      '/rules/2/addresses/1',
      '/rules/2/addresses/2',
      '/rules/3/interface',
      '/rules/3/comment',
    ],
  },
  {
    kind: 'firewall',
    name: 'a port range running backwards',
    document: { ...firewall, rules: [{ ...rule0, ports: [{ from: 600, to: 500 }] }] },
    pointers: ['/rules/0/ports/0/to'],
    beyondSchema: true,
  },
  {
    kind: 'firewall',
    name: 'a network with host bits set',
    document: { ...firewall, rules: [{ ...rule0, addresses: ['192.168.1.10/24'] }] },
    pointers: ['/rules/0/addresses/0'],
    beyondSchema: true,
  },
  {
    kind: 'monitoring',
    name: 'paths not normalized, stop without unit, scans too frequent',
    document: {
      ...monitoring,
      scanIntervalSeconds: 30,
      protectedPaths: [
        { ...path0, path: 'etc/passwd' },
        { ...path0, path: '/etc/../shadow' },
        { ...path0, path: '/etc/' },
        { ...path0, path: '/var//log', class: 'Firmware!' },
        { ...path0, path: '/srv/a', response: 'stop' },
        { ...path0, path: '/srv/b', unit: 'sshd.service' },
        { ...path0, path: '/srv', exclude: [] },
      ],
      cryptoScan: { ...monitoring.cryptoScan, tlsPorts: 'all', certificateDirs: ['/etc/ssl', '/etc/ssl'] },
    },
    pointers: [
      '/protectedPaths/0/path',
      '/protectedPaths/1/path',
      '/protectedPaths/2/path',
      '/protectedPaths/3/path',
      '/protectedPaths/3/class',
      '/protectedPaths/4/unit',
      '/protectedPaths/5/unit',
      '/protectedPaths/6/exclude',
      '/scanIntervalSeconds',
      '/cryptoScan/certificateDirs/1',
      '/cryptoScan/tlsPorts',
    ],
  },
  {
    kind: 'monitoring',
    name: 'one path protected twice',
    document: { ...monitoring, protectedPaths: [path0, { ...path0, response: 'restore' }] },
    pointers: ['/protectedPaths/1/path'],
    beyondSchema: true,
  },
  {
    kind: 'attestation',
    name: 'PCRs out of range and repeated, unknown response',
    document: {
      ...attestation,
      pcrSelection: { sha256: [7, 24, 7], sha1: [0] },
      onFailure: 'reboot',
      maxAgeSeconds: 1.5,
    },
    pointers: [
      '/pcrSelection/sha1',
      '/pcrSelection/sha256/1',
      '/pcrSelection/sha256/2',
      '/maxAgeSeconds',
      '/onFailure',
    ],
  },
  {
    kind: 'attestation',
    name: 'empty selection, missing members',
    document: { pcrSelection: { sha256: [] }, intervalSeconds: 59 },
    pointers: [
      '/pcrSelection/sha256',
      '/intervalSeconds',
      '/maxAgeSeconds',
      '/onFailure',
      '/requireSecureBoot',
      '/includeImaLog',
    ],
  },
  {
    kind: 'siem',
    name: 'severity out of range, bad type filters',
    document: {
      ...siem,
      forward: { minSeverity: 11, includeTypes: ['FIM.*', 'fim.*', 'fim.*'], excludeTypes: [] },
    },
    pointers: [
      '/forward/minSeverity',
      '/forward/includeTypes/0',
      '/forward/includeTypes/2',
      '/forward/excludeTypes',
    ],
  },
  {
    kind: 'siem',
    name: 'rules the rule parser refuses, or a device cannot evaluate, or with one id twice',
    document: {
      ...siem,
      rules: [
        { ...siem.rules[0], severity: 12 },
        { ...siem.rules[0], id: 'spread-rule', detect: { kind: 'spread', devices: 5, windowSeconds: 60 } },
        siem.rules[0],
        siem.rules[0],
      ],
    },
    pointers: ['/rules/0/severity', '/rules/1', '/rules/3/id'],
    beyondSchema: true,
  },
  {
    kind: 'config',
    name: 'content and base64 together, bad modes, names and values',
    document: {
      files: [
        { ...file0, contentBase64: 'AAAA' },
        { path: '/etc/x', mode: '0666', owner: 'Root' },
        { path: '/etc/y', mode: '4755', contentBase64: 'not base64!' },
        { path: '/etc/z', mode: '640', content: 'nul\u0000' },
      ],
      values: { '9lives': 1, ok: { nested: true }, text: 'bell\u0007' },
    },
    pointers: [
      '/files/0/contentBase64',
      '/files/1/mode',
      '/files/1/owner',
      '/files/1/content',
      '/files/2/mode',
      '/files/2/contentBase64',
      '/files/3/mode',
      '/files/3/content',
      '/values/9lives',
      '/values/ok',
      '/values/text',
    ],
  },
  {
    kind: 'config',
    name: 'content over 256 KiB as UTF-8 though under 256 Ki characters',
    document: { files: [{ ...file0, content: 'é'.repeat(140_000) }] },
    pointers: ['/files/0/content'],
    beyondSchema: true,
  },
  {
    kind: 'config',
    name: 'one path written twice',
    document: { files: [file0, { ...file0, mode: '0600' }] },
    pointers: ['/files/1/path'],
    beyondSchema: true,
  },
];

/** The PolicyError `run` throws, asserting its code; fails if it returns or throws anything else. */
export function policyRefusalOf(run: () => unknown, code: PolicyErrorCode = 'POLICY_INVALID'): PolicyError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    assert.equal(error.code, code, `${error.code}: ${error.message} ${JSON.stringify(error.problems)}`);
    return error;
  }
  assert.fail(`expected a PolicyError ${code}`);
}

/** The JSON pointers named by the PolicyError `run` throws. */
export function refusedPointers(run: () => unknown, code: PolicyErrorCode = 'POLICY_INVALID'): string[] {
  return policyRefusalOf(run, code).problems.map((problem) => problem.path);
}
