/**
 * The report as CSV (RFC 4180): one row per device and control. Cells that a
 * spreadsheet would take for a formula are prefixed with an apostrophe
 * (OWASP CSV injection), although every value here comes from the panel.
 */
import type { EvidenceRef } from '@palisade/core';
import type { ComplianceReport } from './compliance-report.ts';

const COLUMNS = [
  'group',
  'target_level',
  'device',
  'device_state',
  'achieved_level',
  'control',
  'title',
  'required_at_target',
  'status',
  'reason',
  'remedy',
  'evidence',
  'evaluated_at',
];

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function evidenceText(evidence: readonly EvidenceRef[]): string {
  return evidence.map((e) => `${e.kind}:${e.id}${e.at ? `@${e.at}` : ''}`).join('; ');
}

export function reportCsv(report: ComplianceReport): string {
  const required = new Map(report.controls.map((c) => [c.id, c]));
  const lines = [COLUMNS.join(',')];
  for (const device of report.devices) {
    for (const result of device.results) {
      const control = required.get(result.control);
      lines.push(
        [
          report.group.name,
          report.group.targetLevel,
          device.id,
          device.state,
          device.achieved,
          result.control,
          control?.title ?? '',
          control?.requiredAtTarget ? 'yes' : 'no',
          result.status,
          result.reason,
          result.remedy ?? '',
          evidenceText(result.evidence),
          device.evaluatedAt,
        ]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
