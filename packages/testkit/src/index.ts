export type { TestBrowser } from './chromium.ts';
export { CHROMIUM_PATH, launchChromium, skipUnlessChromium } from './chromium.ts';
export type { BuiltEvent, BuiltEventLog, EventLogBank, EventLogEntry } from './event-log-builder.ts';
export { EventLogBuilder, extendIntoTpm } from './event-log-builder.ts';
export type { Rsyslog, RsyslogOptions, RsyslogTlsOptions } from './rsyslog.ts';
export { startRsyslog } from './rsyslog.ts';
export type { LoggedTrap, Snmptrapd, SnmptrapdOptions, SnmptrapdUser } from './snmptrapd.ts';
export { mibDirs, parseTraps, startSnmptrapd } from './snmptrapd.ts';
export type { SoftHsmToken, SoftHsmTokenOptions } from './softhsm-token.ts';
export { createSoftHsmToken } from './softhsm-token.ts';
export type { Swtpm, SwtpmOptions } from './swtpm.ts';
export { startSwtpm } from './swtpm.ts';
export { hasCommand, postgresUrl, STRICT, skipUnlessCommand } from './system-tools.ts';
export type { TestDatabase } from './test-database.ts';
export {
  clearTemplates,
  openReplicaTestDatabase,
  openTestDatabase,
  replicaPostgresUrl,
  skipUnlessReplicaPostgres,
} from './test-database.ts';
export type { TestPanel } from './test-panel.ts';
export { LogCapture, startTestPanel, TEST_ADMIN_PASSWORD, TEST_KEY_PASSPHRASE } from './test-panel.ts';
