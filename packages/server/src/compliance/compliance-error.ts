import { PalisadeError } from '@palisade/core';

export type ComplianceErrorCode =
  /** No stored report with that ID (or it was pruned after its retention). */
  | 'REPORT_NOT_FOUND'
  /** The group has more devices than one report may hold; `details.limit` says how many. */
  | 'REPORT_TOO_LARGE'
  /** A PDF needs headless Chromium on the panel host, and there is none (or it failed to start). */
  | 'REPORT_RENDERER_UNAVAILABLE';

/** Refusals of the compliance context: reports and their signatures. */
export class ComplianceError extends PalisadeError<ComplianceErrorCode> {}
