export type {
  AuditBreak,
  AuditEntry,
  AuditOutcome,
  AuditQuery,
  AuditRecord,
  AuditVerification,
} from './audit-log.ts';
export { AuditLog, entryHash, GENESIS_HASH } from './audit-log.ts';
export { registerAuditRoutes } from './audit-routes.ts';
