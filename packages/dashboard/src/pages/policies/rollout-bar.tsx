import type { ReactNode } from 'react';
import type { RolloutProgress } from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { StateBadge } from '../../ui/badges.tsx';
import { Legend, type Segment, SegmentBar } from '../../ui/charts.tsx';
import { formatCount, percent } from '../../ui/format.ts';

/**
 * A rollout's progress: the bar is every device the policy applies to;
 * applied and failed count in the current phase, the rest waits for its phase.
 */
export function RolloutBar(props: {
  readonly rollout: RolloutProgress;
  readonly policyName?: string;
  readonly children?: ReactNode;
}): ReactNode {
  const r = props.rollout;
  const waiting = Math.max(0, r.devices - r.inPhase);
  const segments: Segment[] = [
    { key: 'applied', label: 'applied', value: r.applied, tone: 'good' },
    { key: 'failed', label: 'failed', value: r.failed, tone: 'bad' },
    { key: 'pending', label: 'pending in this phase', value: r.pending, tone: 'warn' },
    { key: 'waiting', label: 'in later phases', value: waiting, tone: 'track' },
  ];
  const phase = r.phases[r.phase] ?? 100;
  return (
    <div className="rollout" data-rollout={r.id}>
      <div className="rollout-head">
        <strong>
          <Link to={`/policies/${r.policyId}`}>{props.policyName ?? 'Policy'}</Link> v{r.version}
        </strong>
        <StateBadge state={r.status} />
        <span className="muted">
          phase {r.phase + 1} of {r.phases.length} ({phase} % of devices) · {percent(r.applied, r.devices)} %
          applied · {formatCount(r.applied)}/{formatCount(r.devices)}
        </span>
        {props.children}
      </div>
      <SegmentBar
        label={`Rollout of version ${r.version}`}
        segments={segments}
        total={Math.max(1, r.devices)}
      />
      <Legend segments={segments} />
      {r.statusReason ? <p className="hint">{r.statusReason}</p> : null}
    </div>
  );
}
