export type { ComplianceErrorCode } from './compliance-error.ts';
export { ComplianceError } from './compliance-error.ts';
export type { Evaluated } from './compliance-evaluator.ts';
export { ComplianceEvaluator } from './compliance-evaluator.ts';
export type { ComplianceReport, ReportFormat } from './compliance-report.ts';
export { REPORT_FORMATS } from './compliance-report.ts';
export type { ComplianceRouteServices } from './compliance-routes.ts';
export { registerComplianceRoutes } from './compliance-routes.ts';
export type {
  ComplianceServiceDeps,
  FleetComplianceView,
  GroupComplianceView,
} from './compliance-service.ts';
export {
  ComplianceService,
  DEFAULT_FULL_PASS_INTERVAL_MS,
  MAX_REPORT_DEVICES,
} from './compliance-service.ts';
export type { DeviceComplianceView } from './compliance-views.ts';
export type { EvidenceSources } from './evaluation-context.ts';
export type { EvidenceListener } from './evidence-hooks.ts';
export { COMPLIANCE_CHANNEL, watchDeviceEvidence } from './evidence-hooks.ts';
export type { PassOutcome } from './full-pass.ts';
export type { PdfRenderer } from './report-pdf.ts';
export { chromiumPdfRenderer } from './report-pdf.ts';
export type { StoredReport } from './report-store.ts';
