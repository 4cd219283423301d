import { callJson } from './https-json.ts';

/** A rule document as POST /v1/rules takes it (docs/detection-rules.md); the panel parses it. */
export type RuleInput = Readonly<Record<string, unknown>>;

const type = (value: string) => ({ field: 'type', op: 'eq', value });
const field = (key: string, op: string, value: unknown, caseInsensitive?: boolean) => ({
  field: `fields.${key}`,
  op,
  value,
  ...(caseInsensitive ? { caseInsensitive } : {}),
});
const all = (...conditions: readonly unknown[]) => ({ all: conditions });

/**
 * Twenty detection rules an operator of an industrial fleet might run, over
 * the event types of bench/lib/security-event-mix.ts: 8 `match`, 6
 * `threshold` (per device, group and fleet), 4 `sequence`, 2 `spread`.
 * Several test `process.exec` (70 % of the stream), so most events reach
 * a glob, a window or a sequence step, and some fire now and then (failed
 * logins for root, changes to /etc/passwd, the same binary on many devices),
 * which raises alerts as a live panel does. Severities stay ≤ 8, so an
 * exporter with `minSeverity: 9` sends none of their alerts.
 */
export const DETECTION_RULE_MIX: readonly RuleInput[] = [
  // match
  {
    id: 'tamper-detected',
    title: 'Physical tamper',
    severity: 8,
    match: type('tamper.detected'),
    detect: { kind: 'match' },
  },
  {
    id: 'secure-boot-off',
    title: 'Secure boot disabled',
    severity: 8,
    match: type('boot.secure-boot-disabled'),
    detect: { kind: 'match' },
  },
  {
    id: 'account-files-changed',
    title: 'Account database changed',
    severity: 7,
    match: all(type('file.changed'), field('path', 'in', ['/etc/passwd', '/etc/shadow', '/etc/sudoers'])),
    detect: { kind: 'match' },
  },
  {
    id: 'netcat-exec',
    title: 'Netcat executed',
    severity: 7,
    match: all(type('process.exec'), field('path', 'glob', '*/nc*')),
    detect: { kind: 'match' },
  },
  {
    id: 'telnet-like-port',
    title: 'Connection to a telnet or shell port',
    severity: 6,
    match: all(type('net.connection'), field('port', 'in', [23, 2323, 4444])),
    detect: { kind: 'match' },
  },
  {
    id: 'root-login-failed',
    title: 'Failed login for root',
    severity: 5,
    match: all(type('auth.login-failed'), field('user', 'eq', 'ROOT', true)),
    detect: { kind: 'match' },
  },
  {
    id: 'miner-started',
    title: 'Crypto miner started',
    severity: 8,
    match: all(type('process.started'), field('name', 'in', ['xmrig', 'minerd', 'kdevtmpfsi'], true)),
    detect: { kind: 'match' },
  },
  {
    id: 'plain-http-download',
    title: 'Download over plain HTTP from a shell',
    severity: 4,
    match: all(
      type('process.exec'),
      field('parent', 'endsWith', '/bash'),
      field('argv', 'contains', 'http://'),
    ),
    detect: { kind: 'match' },
  },
  // threshold
  {
    id: 'brute-force',
    title: 'Repeated failed logins',
    severity: 7,
    match: type('auth.login-failed'),
    detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'device' },
  },
  {
    id: 'exec-burst',
    title: 'Burst of process executions',
    severity: 3,
    match: type('process.exec'),
    detect: { kind: 'threshold', count: 5000, windowSeconds: 10, per: 'device' },
  },
  {
    id: 'group-login-failures',
    title: 'Failed logins across a group',
    severity: 6,
    match: type('auth.login-failed'),
    detect: { kind: 'threshold', count: 50, windowSeconds: 60, per: 'group' },
  },
  {
    id: 'fleet-config-churn',
    title: 'Many configuration changes fleet-wide',
    severity: 4,
    match: all(type('file.changed'), field('path', 'startsWith', '/opt/')),
    detect: { kind: 'threshold', count: 1000, windowSeconds: 60, per: 'fleet' },
  },
  {
    id: 'connection-scan',
    title: 'Many outbound connections',
    severity: 4,
    match: type('net.connection'),
    detect: { kind: 'threshold', count: 500, windowSeconds: 30, per: 'device' },
  },
  {
    id: 'severe-events-fleet',
    title: 'Many severe events fleet-wide',
    severity: 5,
    match: { field: 'severity', op: 'gte', value: 5 },
    detect: { kind: 'threshold', count: 10_000, windowSeconds: 300, per: 'fleet' },
  },
  // sequence
  {
    id: 'login-then-shell',
    title: 'Failed login, shell, then root execution',
    severity: 7,
    detect: {
      kind: 'sequence',
      steps: [
        type('auth.login-failed'),
        all(type('process.started'), field('name', 'eq', 'busybox')),
        all(type('process.exec'), field('user', 'eq', 'root')),
      ],
      withinSeconds: 300,
    },
  },
  {
    id: 'failed-login-then-ssh',
    title: 'Failed login followed by an SSH connection',
    severity: 5,
    detect: {
      kind: 'sequence',
      steps: [type('auth.login-failed'), all(type('net.connection'), field('port', 'eq', 22))],
      withinSeconds: 60,
    },
  },
  {
    id: 'config-change-then-tmp-exec',
    title: 'Configuration change, then execution from /tmp',
    severity: 6,
    detect: {
      kind: 'sequence',
      steps: [
        all(type('file.changed'), field('path', 'startsWith', '/etc/')),
        all(type('process.exec'), field('path', 'startsWith', '/tmp/')),
      ],
      withinSeconds: 120,
    },
  },
  {
    id: 'download-then-reverse-shell',
    title: 'Download, then a connection to a shell port',
    severity: 6,
    detect: {
      kind: 'sequence',
      steps: [
        all(type('process.exec'), field('path', 'eq', '/usr/bin/curl')),
        all(type('net.connection'), field('port', 'eq', 4444)),
      ],
      withinSeconds: 30,
    },
  },
  // spread
  {
    id: 'same-download-everywhere',
    title: 'The same download on many devices',
    severity: 5,
    match: all(type('process.exec'), field('path', 'eq', '/usr/bin/curl')),
    detect: { kind: 'spread', devices: 16, windowSeconds: 60 },
  },
  {
    id: 'admin-login-spread',
    title: 'Failed admin logins across the fleet',
    severity: 7,
    match: all(type('auth.login-failed'), field('user', 'eq', 'admin')),
    detect: { kind: 'spread', devices: 10, windowSeconds: 300 },
  },
];

/** Creates `rules` over the operator API (POST /v1/rules, one by one) and checks that all are enabled. */
export async function createRules(options: {
  readonly operatorUrl: string;
  readonly rootCaPem: string;
  readonly adminToken: string;
  readonly rules: readonly RuleInput[];
}): Promise<void> {
  const call = { bearer: options.adminToken, ca: options.rootCaPem };
  for (const rule of options.rules)
    await callJson(`${options.operatorUrl}/v1/rules`, { ...call, body: rule, expect: [201] });
  const listed = (
    await callJson<{ rules: { id: string; document: { enabled: boolean } }[] }>(
      `${options.operatorUrl}/v1/rules`,
      call,
    )
  ).json.rules;
  const enabled = new Set(listed.filter((r) => r.document.enabled).map((r) => r.id));
  const missing = options.rules.map((r) => String(r.id)).filter((id) => !enabled.has(id));
  if (missing.length > 0) throw new Error(`rules not enabled after creation: ${missing.join(', ')}`);
}
