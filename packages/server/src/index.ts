export type { AuditEntry, AuditVerification } from './audit/index.ts';
export { AuditLog } from './audit/index.ts';
export type { DeviceComplianceView, ReportFormat } from './compliance/index.ts';
export { REPORT_FORMATS } from './compliance/index.ts';
export type { PanelConfig } from './config/index.ts';
export { ConfigError, defaultPanelConfig, loadPanelConfig, panelHelp } from './config/index.ts';
export type { Db, PgliteDb } from './db/index.ts';
export {
  loadMigrations,
  migrate,
  migrationsFingerprint,
  openPgliteDb,
  openPostgresDb,
  StorageError,
} from './db/index.ts';
export type { HttpErrorCode } from './http/error-status.ts';
export { ERROR_STATUS } from './http/error-status.ts';
export { OperatorDirectory } from './operators/index.ts';
export type { CaInitOptions, CaRotateOptions, RunningPanel, StartupFacts } from './panel/index.ts';
export {
  acquireDataDirLock,
  initializeCa,
  MAX_ISSUING_VALIDITY_YEARS,
  rotateIssuingCaOffline,
  startPanel,
} from './panel/index.ts';
export type { RotatedIssuingCa } from './pki/index.ts';
export { issueLeafWithNewKey } from './pki/index.ts';
