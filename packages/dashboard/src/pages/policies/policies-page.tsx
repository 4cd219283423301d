import type { ReactNode } from 'react';
import { api } from '../../api/api-client.ts';
import type { PolicySummary, Rollout, RolloutProgress } from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { StateBadge } from '../../ui/badges.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';
import { PolicyAssignments } from './policy-assignments.tsx';
import { RolloutBar } from './rollout-bar.tsx';
import { RolloutControls } from './rollout-controls.tsx';

/** Rollouts still moving are polled; the panel advances them every 5 s. */
const POLL_MS = 2000;

function Rollouts(props: { readonly names: ReadonlyMap<string, PolicySummary> }): ReactNode {
  const rollouts = useApi(
    'rollouts-all',
    async () => {
      const { rollouts: all } = await api.get<{ rollouts: Rollout[] }>('/v1/policy-rollouts');
      const active = all.filter((r) => r.status === 'running' || r.status === 'paused');
      return {
        all,
        active: await Promise.all(active.map((r) => api.get<RolloutProgress>(`/v1/policy-rollouts/${r.id}`))),
      };
    },
    { pollMs: POLL_MS },
  );
  const history = (rollouts.data?.all ?? [])
    .filter((r) => r.status === 'completed' || r.status === 'cancelled')
    .slice(0, 10);
  return (
    <section className="card" aria-labelledby="rollouts-title">
      <h2 id="rollouts-title">Rollouts</h2>
      <ErrorNote error={rollouts.error} />
      {!rollouts.data ? (
        <Loading />
      ) : rollouts.data.active.length === 0 ? (
        <Empty>No rollout in progress.</Empty>
      ) : null}
      {rollouts.data?.active.map((r) => (
        <RolloutBar key={r.id} rollout={r} policyName={props.names.get(r.policyId)?.name ?? 'policy'}>
          <RolloutControls rollout={r} onChanged={rollouts.reload} />
        </RolloutBar>
      ))}
      {history.length > 0 ? (
        <details className="section-gap">
          <summary>Finished rollouts ({history.length} most recent)</summary>
          <table className="data">
            <tbody>
              {history.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/policies/${r.policyId}`}>
                      {props.names.get(r.policyId)?.name ?? r.policyId}
                    </Link>{' '}
                    v{r.version}
                  </td>
                  <td>
                    <StateBadge state={r.status} />
                  </td>
                  <td>phases {r.phases.join(' → ')} %</td>
                  <td>{formatTime(r.phaseStartedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </section>
  );
}

/** Policies (PD-1, PD-2): what each kind says, where it is assigned, and how its rollouts go. */
export default function PoliciesPage(): ReactNode {
  const { can } = useSession();
  const policies = useApi('policies', () => api.get<{ policies: PolicySummary[] }>('/v1/policies'));
  const list = policies.data?.policies ?? [];
  const names = new Map(list.map((p) => [p.id, p]));
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Policies</h1>
          <p className="subtitle">
            Signed by the panel, assigned per fleet, group, tag or device, rolled out in phases.
          </p>
        </div>
        {can('policies:manage') ? (
          <div className="actions">
            <Link to="/policies/new">New policy</Link>
          </div>
        ) : null}
      </div>
      <ErrorNote error={policies.error} />
      {!policies.data ? (
        policies.error ? null : (
          <Loading what="policies" />
        )
      ) : list.length === 0 ? (
        <Empty>No policies yet.</Empty>
      ) : (
        <div className="card table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Kind</th>
                <th scope="col">Latest version</th>
                <th scope="col">Published</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id} data-policy={p.name}>
                  <td>
                    <Link to={`/policies/${p.id}`}>{p.name}</Link>
                  </td>
                  <td>{p.kind}</td>
                  <td>v{p.latestVersion}</td>
                  <td title={formatTime(p.publishedAt)}>
                    {formatAgo(p.publishedAt)} by {p.publishedBy}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Rollouts names={names} />
      <PolicyAssignments policies={list} />
    </section>
  );
}
