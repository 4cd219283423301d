import { type FormEvent, type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import { ApiProblem } from '../../api/api-problem.ts';
import {
  type DeviceGroup,
  POLICY_KINDS,
  type PolicyAssignment,
  type PolicySummary,
} from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatCount } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';
import { scopeText } from '../devices/policy-drift.ts';

type ScopeType = 'fleet' | 'group' | 'tag' | 'device';

interface Draft {
  readonly kind: string;
  readonly scopeType: ScopeType;
  readonly scopeValue: string;
  readonly policyId: string;
}

function scopeBody(draft: Draft): Record<string, string> {
  switch (draft.scopeType) {
    case 'fleet':
      return { type: 'fleet' };
    case 'group':
      return { type: 'group', group: draft.scopeValue };
    case 'tag':
      return { type: 'tag', tag: draft.scopeValue };
    case 'device':
      return { type: 'device', device: draft.scopeValue };
  }
}

function assignmentScopeBody(scope: PolicyAssignment['scope']): Record<string, string> {
  switch (scope.type) {
    case 'fleet':
      return { type: 'fleet' };
    case 'group':
      return { type: 'group', group: scope.groupId };
    case 'tag':
      return { type: 'tag', tag: scope.tag };
    case 'device':
      return { type: 'device', device: scope.deviceId };
  }
}

/**
 * Which policy applies where: one per kind and scope; the most specific
 * scope wins (device, tag, group, fleet). Changes are previewed with dryRun
 * (the devices whose effective policy would change) before they are made.
 */
export function PolicyAssignments(props: { readonly policies: readonly PolicySummary[] }): ReactNode {
  const { can } = useSession();
  const assignments = useApi('assignments', () =>
    api.get<{ assignments: PolicyAssignment[] }>('/v1/policy-assignments'),
  );
  const groups = useApi('groups', () => api.get<{ groups: DeviceGroup[] }>('/v1/groups'));
  const [draft, setDraft] = useState<Draft>({
    kind: 'crypto',
    scopeType: 'group',
    scopeValue: '',
    policyId: '',
  });
  const [preview, setPreview] = useState<
    { key: string; devices: readonly string[]; remove: boolean } | undefined
  >();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | undefined>();
  const names = new Map(props.policies.map((p) => [p.id, p]));
  const ofKind = props.policies.filter((p) => p.kind === draft.kind);

  const send = async (body: Record<string, unknown>, dryRun: boolean) =>
    api.put<{ devices: string[] }>('/v1/policy-assignments', { ...body, dryRun });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setDone(undefined);
    const body = { kind: draft.kind, scope: scopeBody(draft), policyId: draft.policyId };
    const key = JSON.stringify(body);
    try {
      if (preview?.key !== key) {
        setPreview({ key, devices: (await send(body, true)).devices, remove: false });
        return;
      }
      const changed = await send(body, false);
      setDone(`Assigned: ${formatCount(changed.devices.length)} device(s) were told to fetch the policy.`);
      setPreview(undefined);
      assignments.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  const remove = async (assignment: PolicyAssignment) => {
    setError(undefined);
    setDone(undefined);
    const body = { kind: assignment.kind, scope: assignmentScopeBody(assignment.scope), policyId: null };
    const key = JSON.stringify(body);
    try {
      if (preview?.key !== key) {
        setPreview({ key, devices: (await send(body, true)).devices, remove: true });
        return;
      }
      const changed = await send(body, false);
      setDone(`Removed: ${formatCount(changed.devices.length)} device(s) changed.`);
      setPreview(undefined);
      assignments.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  const list = assignments.data?.assignments ?? [];
  return (
    <section className="card" aria-labelledby="assignments-title">
      <h2 id="assignments-title">Assignments</h2>
      <ErrorNote error={assignments.error} />
      {!assignments.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>No policy is assigned.</Empty>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Scope</th>
              <th scope="col">Policy</th>
              {can('policies:manage') ? <th scope="col">Change</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((a) => {
              const key = JSON.stringify({
                kind: a.kind,
                scope: assignmentScopeBody(a.scope),
                policyId: null,
              });
              return (
                <tr key={`${a.kind}:${JSON.stringify(a.scope)}`}>
                  <td>{a.kind}</td>
                  <td>{scopeText(a.scope)}</td>
                  <td>
                    <Link to={`/policies/${a.policyId}`}>{names.get(a.policyId)?.name ?? a.policyId}</Link>
                  </td>
                  {can('policies:manage') ? (
                    <td>
                      <button type="button" onClick={() => void remove(a)}>
                        {preview?.key === key ? 'Confirm removal' : 'Remove…'}
                      </button>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {can('policies:manage') ? (
        <form className="filters section-gap" onSubmit={submit} aria-label="Assign a policy">
          <div className="field">
            <label htmlFor="as-kind">Kind</label>
            <select
              id="as-kind"
              value={draft.kind}
              onChange={(e) => setDraft({ ...draft, kind: e.target.value, policyId: '' })}
            >
              {POLICY_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="as-scope">Scope</label>
            <select
              id="as-scope"
              value={draft.scopeType}
              onChange={(e) => setDraft({ ...draft, scopeType: e.target.value as ScopeType, scopeValue: '' })}
            >
              <option value="fleet">Whole fleet</option>
              <option value="group">Group</option>
              <option value="tag">Tag</option>
              <option value="device">Device</option>
            </select>
          </div>
          {draft.scopeType === 'fleet' ? null : (
            <div className="field">
              <label htmlFor="as-value">
                {draft.scopeType === 'group' ? 'Group' : draft.scopeType === 'tag' ? 'Tag' : 'Device ID'}
              </label>
              {draft.scopeType === 'group' ? (
                <select
                  id="as-value"
                  value={draft.scopeValue}
                  onChange={(e) => setDraft({ ...draft, scopeValue: e.target.value })}
                  required
                >
                  <option value="">Choose…</option>
                  {groups.data?.groups.map((g) => (
                    <option key={g.name} value={g.name}>
                      {g.name}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id="as-value"
                  value={draft.scopeValue}
                  onChange={(e) => setDraft({ ...draft, scopeValue: e.target.value })}
                  required
                />
              )}
            </div>
          )}
          <div className="field">
            <label htmlFor="as-policy">Policy</label>
            <select
              id="as-policy"
              value={draft.policyId}
              onChange={(e) => setDraft({ ...draft, policyId: e.target.value })}
              required
            >
              <option value="">Choose…</option>
              {ofKind.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              {preview && !preview.remove ? 'Confirm assignment' : 'Preview assignment'}
            </button>
          </div>
        </form>
      ) : null}
      {preview ? (
        <p className="notice" role="status">
          {preview.remove ? 'Removing' : 'Assigning'} changes the effective policy of{' '}
          {formatCount(preview.devices.length)} device(s)
          {preview.devices.length > 0
            ? `: ${preview.devices.slice(0, 10).join(', ')}${preview.devices.length > 10 ? ', …' : ''}`
            : ''}
          . Press confirm to apply.
        </p>
      ) : null}
      {done ? (
        <p className="success" role="status">
          {done}
        </p>
      ) : null}
      <ErrorNote error={error} />
      {error instanceof ApiProblem && error.problems.length > 0 ? (
        <ul className="problems">
          {error.problems.map((p) => (
            <li key={p.path}>
              <span className="pointer">{p.path}</span> {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
