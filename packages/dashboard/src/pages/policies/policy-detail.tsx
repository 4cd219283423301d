import { type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type {
  PolicyDetail as PolicyAnswer,
  PolicyEnvelope,
  Rollout,
  RolloutProgress,
  VersionReport,
} from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { StateBadge } from '../../ui/badges.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatCount, formatTime } from '../../ui/format.ts';
import { JsonEditor } from '../../ui/json-editor.tsx';
import { useApi } from '../../ui/use-api.ts';
import { RolloutBar } from './rollout-bar.tsx';
import { RolloutControls } from './rollout-controls.tsx';

function PolicyRollouts(props: { readonly policyId: string; readonly name: string }): ReactNode {
  const rollouts = useApi(
    `rollouts:${props.policyId}`,
    async () => {
      const { rollouts: all } = await api.get<{ rollouts: Rollout[] }>('/v1/policy-rollouts');
      const mine = all.filter((r) => r.policyId === props.policyId).slice(0, 5);
      return Promise.all(mine.map((r) => api.get<RolloutProgress>(`/v1/policy-rollouts/${r.id}`)));
    },
    { pollMs: 2000 },
  );
  return (
    <section className="card" aria-labelledby="policy-rollouts">
      <h2 id="policy-rollouts">Rollouts</h2>
      <ErrorNote error={rollouts.error} />
      {!rollouts.data ? <Loading /> : rollouts.data.length === 0 ? <Empty>No rollout.</Empty> : null}
      {rollouts.data?.map((r) => (
        <RolloutBar key={r.id} rollout={r} policyName={props.name}>
          <RolloutControls rollout={r} onChanged={rollouts.reload} />
        </RolloutBar>
      ))}
    </section>
  );
}

function VersionReports(props: { readonly policyId: string; readonly version: number }): ReactNode {
  const reports = useApi(
    `reports:${props.policyId}:${props.version}`,
    () =>
      api.get<{ reports: VersionReport[] }>(
        `/v1/policies/${props.policyId}/versions/${props.version}/reports`,
      ),
    { pollMs: 5000 },
  );
  const list = reports.data?.reports ?? [];
  return (
    <section className="card" aria-labelledby="policy-reports">
      <h2 id="policy-reports">What devices reported for v{props.version}</h2>
      <ErrorNote error={reports.error} />
      {!reports.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>No device has reported this version yet.</Empty>
      ) : (
        <div className="scroll-box">
          <table className="data">
            <tbody>
              {list.map((r) => (
                <tr key={r.deviceId}>
                  <td>
                    <Link to={`/devices/${encodeURIComponent(r.deviceId)}`}>{r.deviceId}</Link>
                  </td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td title={formatTime(r.reportedAt)}>{formatAgo(r.reportedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** One policy: its versions and documents, the devices it reaches, its rollouts and what devices reported. */
export default function PolicyDetail(props: { readonly policyId: string }): ReactNode {
  const { can } = useSession();
  const policy = useApi(`policy:${props.policyId}`, () =>
    api.get<PolicyAnswer>(`/v1/policies/${encodeURIComponent(props.policyId)}`),
  );
  const [picked, setPicked] = useState<number | undefined>();
  const version = picked ?? policy.data?.latestVersion;
  const envelope = useApi(version === undefined ? null : `envelope:${props.policyId}:${version}`, () =>
    api.get<PolicyEnvelope>(`/v1/policies/${props.policyId}/versions/${version ?? 1}`),
  );

  if (policy.error && !policy.data) return <ErrorNote error={policy.error} />;
  if (!policy.data || version === undefined) return <Loading what="the policy" />;
  const p = policy.data;
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to="/policies">Policies</Link> / {p.name}
      </nav>
      <div className="page-head">
        <div>
          <h1>{p.name}</h1>
          <p className="subtitle">
            {p.kind} policy, version {p.latestVersion}, applies to {formatCount(p.devices.length)} device(s)
          </p>
        </div>
        {can('policies:manage') ? (
          <div className="actions">
            <Link to={`/policies/${p.id}/edit`}>Edit and publish a new version</Link>
          </div>
        ) : null}
      </div>
      <PolicyRollouts policyId={p.id} name={p.name} />
      <div className="grid-2">
        <section className="card" aria-labelledby="policy-doc">
          <h2 id="policy-doc">Document</h2>
          <label htmlFor="policy-version">Version</label>
          <select id="policy-version" value={version} onChange={(e) => setPicked(Number(e.target.value))}>
            {p.versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}, {formatTime(v.publishedAt)} by {v.publishedBy}
              </option>
            ))}
          </select>
          <ErrorNote error={envelope.error} />
          {envelope.data ? (
            <>
              <p className="hint mono">SHA-256 {envelope.data.digest}</p>
              <JsonEditor
                id="policy-document"
                label="Signed document"
                value={JSON.stringify(envelope.data.envelope.payload.document, null, 2)}
                rows={20}
              />
            </>
          ) : (
            <Loading />
          )}
        </section>
        <div>
          <VersionReports policyId={p.id} version={version} />
          <section className="card" aria-labelledby="policy-devices">
            <h2 id="policy-devices">Devices it applies to ({formatCount(p.devices.length)})</h2>
            {p.devices.length === 0 ? (
              <Empty>No device: assign the policy on the Policies page.</Empty>
            ) : (
              <p>
                {p.devices.slice(0, 200).map((id) => (
                  <span key={id} className="tag">
                    <Link to={`/devices/${encodeURIComponent(id)}`}>{id}</Link>
                  </span>
                ))}
                {p.devices.length > 200 ? ` and ${formatCount(p.devices.length - 200)} more` : ''}
              </p>
            )}
          </section>
        </div>
      </div>
    </section>
  );
}
