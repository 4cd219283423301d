import type { ReactNode } from 'react';
import type { EffectivePolicyAnswer, PolicySummary } from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo } from '../../ui/format.ts';
import type { Loaded } from '../../ui/use-api.ts';
import { type DriftVerdict, policyStatus, scopeText } from './policy-drift.ts';

const VERDICT: Readonly<Record<DriftVerdict, { text: string; tone: string }>> = {
  'in-sync': { text: 'in sync', tone: 'good' },
  waiting: { text: 'waiting for the device', tone: 'neutral' },
  drifted: { text: 'drifted', tone: 'bad' },
  failed: { text: 'not applied', tone: 'bad' },
  unmanaged: { text: 'no policy', tone: 'muted' },
};

/** Effective, desired and reported policy per kind, and whether they agree (PD-1, PD-2). */
export function DevicePolicies(props: {
  readonly policies: Loaded<EffectivePolicyAnswer>;
  readonly names: ReadonlyMap<string, PolicySummary>;
}): ReactNode {
  const answer = props.policies.data;
  const rows = answer ? policyStatus(answer) : [];
  return (
    <section className="card" aria-labelledby="dev-policies">
      <h2 id="dev-policies">Policies</h2>
      <ErrorNote error={props.policies.error} />
      {!answer ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty>No policy applies to this device.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Policy (assigned to)</th>
                <th scope="col">Desired</th>
                <th scope="col">Reported</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const verdict = VERDICT[row.verdict];
                const policy = row.policyId ? props.names.get(row.policyId) : undefined;
                return (
                  <tr key={row.kind} data-kind={row.kind}>
                    <td>{row.kind}</td>
                    <td>
                      {row.policyId ? (
                        <Link to={`/policies/${row.policyId}`}>
                          {policy?.name ?? row.policyId.slice(0, 8)}
                        </Link>
                      ) : (
                        '—'
                      )}{' '}
                      <span className="muted">({scopeText(row.scope)})</span>
                    </td>
                    <td>{row.desiredVersion !== null ? `v${row.desiredVersion}` : '—'}</td>
                    <td>
                      {row.reportedVersion !== null
                        ? `v${row.reportedVersion} ${row.reportedState ?? ''}`
                        : '—'}
                      {row.reportedAt ? <div className="hint">{formatAgo(row.reportedAt)}</div> : null}
                      {row.message ? <div className="hint">{row.message}</div> : null}
                    </td>
                    <td>
                      <span className={`badge tone-${verdict.tone}`}>{verdict.text}</span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
