import type { ReactNode } from 'react';
import { LEVEL_NAMES, severityBand } from './format.ts';

export function SeverityBadge(props: { readonly severity: number }): ReactNode {
  const band = severityBand(props.severity);
  return (
    <span className={`badge sev-${band}`} title={`severity ${props.severity} of 10 (${band})`}>
      {props.severity} {band}
    </span>
  );
}

const STATE_TONE: Readonly<Record<string, string>> = {
  enrolled: 'good',
  claimed: 'neutral',
  revoked: 'bad',
  decommissioned: 'muted',
  open: 'bad',
  acknowledged: 'warn',
  resolved: 'good',
  running: 'info',
  paused: 'warn',
  completed: 'good',
  cancelled: 'muted',
  applied: 'good',
  failed: 'bad',
  rolled_back: 'bad',
  pending: 'neutral',
  approved: 'good',
  rejected: 'bad',
  issued: 'good',
  pass: 'good',
  fail: 'bad',
  success: 'good',
  failure: 'bad',
  denied: 'warn',
};

export function StateBadge(props: { readonly state: string }): ReactNode {
  return (
    <span className={`badge tone-${STATE_TONE[props.state] ?? 'neutral'}`}>
      {props.state.replaceAll('_', ' ')}
    </span>
  );
}

export function OnlineBadge(props: { readonly online: boolean | undefined }): ReactNode {
  if (props.online === undefined) return <span className="presence presence-unknown">…</span>;
  return (
    <span className={`presence ${props.online ? 'presence-online' : 'presence-offline'}`}>
      {props.online ? 'online' : 'offline'}
    </span>
  );
}

export function LevelBadge(props: { readonly level: string | undefined }): ReactNode {
  if (!props.level) return <span className="muted">—</span>;
  return (
    <span
      className={`badge level-${props.level}`}
      title={`IIC security level ${LEVEL_NAMES[props.level] ?? props.level}`}
    >
      {LEVEL_NAMES[props.level] ?? props.level}
    </span>
  );
}
