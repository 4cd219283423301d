export type { DeviceReport, IngestResult, ReportListener } from './report-ingest.ts';
export { ReportIngest } from './report-ingest.ts';
