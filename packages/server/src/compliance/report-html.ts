/**
 * The report as one self-contained HTML page, shaped like the compliance
 * matrix auditors know (control / status / evidence / comment): the group's
 * matrix, then one matrix per device. Inline CSS, no script, no external
 * resource; every value is escaped. It prints to PDF as is.
 */
import { type ControlStatus, IEC_62443_SECURITY_LEVEL } from '@palisade/core';
import type { ComplianceReport, ReportControl, ReportDevice } from './compliance-report.ts';
import { evidenceText } from './report-csv.ts';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STATUS_LABEL: Readonly<Record<ControlStatus, string>> = {
  met: 'Met',
  not_met: 'Not met',
  unknown: 'Unknown',
  not_applicable: 'N/A',
};

const STYLE = `
  body { font: 10pt/1.4 -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: #1b1f24; margin: 2em; }
  h1 { font-size: 18pt; margin: 0 0 .2em; } h2 { font-size: 13pt; margin: 1.6em 0 .4em; }
  h3 { font-size: 11pt; margin: 1.4em 0 .3em; break-after: avoid; }
  .facts { color: #57606a; margin: 0 0 1em; } .facts span { margin-right: 1.5em; white-space: nowrap; }
  table { border-collapse: collapse; width: 100%; margin: .3em 0 1em; }
  th, td { border: 1px solid #d0d7de; padding: .25em .45em; text-align: left; vertical-align: top; }
  th { background: #f3f5f7; } tr { break-inside: avoid; }
  td.id { white-space: nowrap; font-weight: 600; } td.num { text-align: right; }
  .status { display: inline-block; min-width: 4.5em; padding: 0 .4em; border-radius: 3px; font-weight: 600; text-align: center; }
  .met { background: #dafbe1; color: #116329; } .not_met { background: #ffebe9; color: #a40e26; }
  .unknown { background: #fff8c5; color: #7d4e00; } .not_applicable { background: #eaeef2; color: #57606a; }
  .muted { color: #57606a; } .evidence { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; word-break: break-all; }
  .device { break-before: page; } footer { margin-top: 2em; color: #57606a; font-size: 8.5pt; }
`;

function badge(status: ControlStatus): string {
  return `<span class="status ${status}">${STATUS_LABEL[status]}</span>`;
}

function groupRow(control: ReportControl, devices: number): string {
  const { counts } = control;
  const status =
    counts.met + counts.not_applicable === devices && devices > 0
      ? badge(counts.met > 0 ? 'met' : 'not_applicable')
      : badge(counts.not_met > 0 ? 'not_met' : 'unknown');
  const tally = `met ${counts.met} · not met ${counts.not_met} · unknown ${counts.unknown} · n/a ${counts.not_applicable}`;
  const comment = control.commonGap
    ? `${escapeHtml(control.commonGap.reason)} (${control.commonGap.devices} device(s)). <em>Remedy:</em> ${escapeHtml(control.commonGap.remedy)}`
    : '';
  return `<tr><td class="id">${control.id}</td><td>${escapeHtml(control.title)}<div class="muted">${escapeHtml(control.requirement)}</div>
<div class="muted">Levels ${control.levels.join(' ')}${control.requiredAtTarget ? ' (required at target)' : ''} · IEC 62443-3-3 ${escapeHtml(control.iec62443.join(', '))} · NIST SP 800-53 ${escapeHtml(control.nist80053.join(', '))}</div></td>
<td>${status}<div class="muted">${tally}</div></td><td>${escapeHtml(control.evidence)}</td><td>${comment}</td></tr>`;
}

function deviceSection(device: ReportDevice, controls: ReadonlyMap<string, ReportControl>): string {
  const rows = device.results
    .map((result) => {
      const control = controls.get(result.control);
      const comment = `${escapeHtml(result.reason)}${result.remedy ? `<div><em>Remedy:</em> ${escapeHtml(result.remedy)}</div>` : ''}`;
      return `<tr><td class="id">${result.control}</td><td>${escapeHtml(control?.title ?? '')}${control?.requiredAtTarget ? '' : ' <span class="muted">(not required at target)</span>'}</td>
<td>${badge(result.status)}</td><td class="evidence">${escapeHtml(evidenceText(result.evidence))}</td><td>${comment}</td></tr>`;
    })
    .join('\n');
  return `<section class="device"><h3>Device ${escapeHtml(device.id)}</h3>
<p class="facts"><span>State: ${escapeHtml(device.state)}</span><span>Achieved level: <strong>${device.achieved}</strong></span><span>${device.meetsTarget ? 'Meets its target' : 'Below its target'}</span><span>Evaluated: ${device.evaluatedAt}</span></p>
<table><thead><tr><th>Control</th><th>Title</th><th>Status</th><th>Evidence</th><th>Comment</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

export function reportHtml(report: ComplianceReport): string {
  const { group, summary } = report;
  const controls = new Map(report.controls.map((c) => [c.id, c]));
  const levelRows = Object.entries(summary.levels)
    .map(([level, n]) => `<tr><td>${level}</td><td class="num">${n}</td></tr>`)
    .join('');
  const title = `Compliance report: group ${escapeHtml(group.name)}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title><style>${STYLE}</style></head>
<body>
<h1>${title}</h1>
<p class="facts"><span>${escapeHtml(report.organization)}</span><span>Target level: <strong>${group.targetLevel}</strong> (IEC 62443-3-3 SL ${IEC_62443_SECURITY_LEVEL[group.targetLevel]})</span><span>Generated ${report.generatedAt} by ${escapeHtml(report.generatedBy)}</span><span>Report ${report.id}</span></p>
<p>Each device of the group is evaluated against the ${report.controls.length} controls of the IIC Endpoint Security Best Practices (IIC:WHT:IN17:V1.0) from evidence the Palisade panel collected itself. A level is achieved when every control it requires is met (or not applicable); <em>unknown</em> means the evidence is missing, older than the control's freshness window, or comes from a capability Palisade does not have yet.</p>
<h2>Summary</h2>
<p>${summary.devices} device(s); ${summary.atTarget} at or above the target level ${group.targetLevel}.</p>
<table style="width:auto"><thead><tr><th>Achieved level</th><th>Devices</th></tr></thead><tbody>${levelRows}</tbody></table>
<h2>Group matrix</h2>
<table><thead><tr><th>Control</th><th>Requirement</th><th>Status</th><th>Evidence</th><th>Comment</th></tr></thead><tbody>
${report.controls.map((c) => groupRow(c, summary.devices)).join('\n')}
</tbody></table>
${report.devices.map((d) => deviceSection(d, controls)).join('\n')}
<footer>Signed by the panel with a detached CMS signature (RFC 5652), fetched from /v1/compliance/reports/${report.id}/signature. Verify with:
<code>openssl cms -verify -binary -inform DER -in report.p7s -content report.html -CAfile root-ca.pem -out /dev/null</code></footer>
</body></html>
`;
}
