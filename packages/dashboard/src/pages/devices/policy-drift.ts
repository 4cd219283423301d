import type { EffectivePolicyAnswer, PolicyScope } from '../../api/api-types.ts';

export type DriftVerdict = 'in-sync' | 'waiting' | 'drifted' | 'failed' | 'unmanaged';

export interface KindStatus {
  readonly kind: string;
  readonly policyId: string | null;
  readonly scope: PolicyScope | null;
  readonly desiredVersion: number | null;
  readonly reportedVersion: number | null;
  readonly reportedState: string | null;
  readonly reportedAt: string | null;
  readonly message: string | null;
  readonly verdict: DriftVerdict;
}

/**
 * Per policy kind: what applies to the device (effective, from which scope),
 * which version its rollout phase gives it (desired), what it last said
 * (reported), and whether those agree. Drift is the device's word
 * (`drifted`: its live state no longer matches the policy it applied);
 * `waiting` means it has not yet reported the desired version.
 */
export function policyStatus(answer: EffectivePolicyAnswer): KindStatus[] {
  const kinds = new Set([
    ...Object.keys(answer.effective),
    ...Object.keys(answer.desired),
    ...answer.reported.map((r) => r.kind),
  ]);
  return [...kinds].sort().map((kind) => {
    const effective = answer.effective[kind];
    const desired = answer.desired[kind];
    const reports = answer.reported
      .filter((r) => r.kind === kind)
      .sort((a, b) => b.reportedAt.localeCompare(a.reportedAt));
    const report = reports.find((r) => r.policyId === desired?.policyId) ?? reports[0];
    let verdict: DriftVerdict;
    if (!desired) verdict = report && report.state !== 'removed' ? 'waiting' : 'unmanaged';
    else if (!report || report.policyId !== desired.policyId || report.version !== desired.version)
      verdict = 'waiting';
    else if (report.state === 'applied' || report.state === 'repaired') verdict = 'in-sync';
    else if (report.state === 'drifted') verdict = 'drifted';
    else verdict = 'failed';
    return {
      kind,
      policyId: effective?.policyId ?? desired?.policyId ?? null,
      scope: effective?.scope ?? null,
      desiredVersion: desired?.version ?? null,
      reportedVersion: report?.version ?? null,
      reportedState: report?.state ?? null,
      reportedAt: report?.reportedAt ?? null,
      message: report?.message ?? null,
      verdict,
    };
  });
}

export function scopeText(scope: PolicyScope | null): string {
  if (!scope) return '—';
  switch (scope.type) {
    case 'fleet':
      return 'whole fleet';
    case 'group':
      return `group ${scope.groupId}`;
    case 'tag':
      return `tag ${scope.tag}`;
    case 'device':
      return 'this device';
  }
}
