/** Test-only sample events shared by the formatter tests (fixed values so expected lines can be spelled out). */
import type { SecurityEvent } from './security-event.ts';

export const FIM_EVENT: SecurityEvent = {
  id: '0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d',
  source: 'device',
  deviceId: 'gw-berlin-07',
  type: 'fim.modified',
  severity: 7,
  controls: ['MO-1', 'SB-3'],
  message: 'Protected file /etc/ssh/sshd_config modified',
  occurredAt: '2026-03-01T12:00:00.000Z',
  receivedAt: '2026-03-01T12:00:01.250Z',
  fields: {
    path: '/etc/ssh/sshd_config',
    expectedSha256: 'ab12',
    actualSha256: 'cd34',
    explainedByUpdate: false,
  },
};

/** The forged second line an attacker would like a SIEM to believe. */
export const FORGED_LINE = '<13>1 2026-03-01T12:00:00Z evil app - - - forged';

/** A panel event whose user-controlled text tries every CEF and RFC 5424 metacharacter. */
export const HOSTILE_LOGIN_EVENT: SecurityEvent = {
  id: '01JNKQ8Z6Y3W2V1T0S9R8Q7P6N',
  source: 'panel',
  deviceId: null,
  type: 'operator.login_failed',
  severity: 5,
  controls: [],
  message: `login failed for "ad]min|x=1\\"\n${FORGED_LINE}`,
  occurredAt: '2026-03-01T12:00:00.000Z',
  receivedAt: '2026-03-01T12:00:00.000Z',
  fields: { username: 'ad]min|x=1\\', remoteAddress: '192.0.2.7', attempts: 3 },
};
