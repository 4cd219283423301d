import { type FormEvent, type ReactNode, useState } from 'react';
import { api, segment } from '../../api/api-client.ts';
import type { Operator, OperatorRole } from '../../api/api-types.ts';
import { useMe, useSession } from '../../session/session.tsx';
import { CopySecret } from '../../ui/copy-secret.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';

const ROLES: ReadonlyArray<[OperatorRole, string]> = [
  ['viewer', 'viewer: looks at the fleet and events'],
  ['auditor', 'auditor: reads everything, including the audit log'],
  ['operator', 'operator: runs the fleet, triages alerts'],
  ['admin', 'admin: people, PKI, rules, policies'],
];

/** Operator accounts (operators:read to see, operators:manage to change); one-time passwords are shown once. */
export default function OperatorsPage(): ReactNode {
  const { can } = useSession();
  const me = useMe();
  const operators = useApi('operators', () => api.get<{ operators: Operator[] }>('/v1/operators'));
  const [creating, setCreating] = useState(false);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<OperatorRole>('viewer');
  const [secret, setSecret] = useState<{ label: string; value: string } | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const manage = can('operators:manage');

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      operators.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const create = (event?: FormEvent) => {
    event?.preventDefault();
    return run(async () => {
      const created = await api.post<{ operator: Operator; oneTimePassword?: string }>('/v1/operators', {
        username,
        role,
      });
      setCreating(false);
      setUsername('');
      if (created.oneTimePassword)
        setSecret({
          label: `One-time password for ${created.operator.username}`,
          value: created.oneTimePassword,
        });
    });
  };

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Operators</h1>
          <p className="subtitle">People and automation with access to the panel, one role each.</p>
        </div>
        {manage ? (
          <div className="actions">
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New operator
            </button>
          </div>
        ) : null}
      </div>
      {secret ? (
        <CopySecret
          label={secret.label}
          value={secret.value}
          note="Shown only now. The operator must change it at the first login."
        />
      ) : null}
      <ErrorNote error={creating ? undefined : error} />
      {!operators.data ? (
        operators.error ? (
          <ErrorNote error={operators.error} />
        ) : (
          <Loading />
        )
      ) : (
        <div className="card table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {operators.data.operators.map((o) => (
                <tr key={o.id} data-operator={o.username}>
                  <td>{o.username}</td>
                  <td>{o.role}</td>
                  <td>
                    {o.disabled ? 'disabled' : 'active'}
                    {o.mustChangePassword ? <div className="hint">must change password</div> : null}
                  </td>
                  <td>{formatTime(o.createdAt)}</td>
                  {manage ? (
                    <td>
                      {o.username === me.username ? (
                        <span className="muted">you</span>
                      ) : (
                        <span className="actions">
                          <button
                            type="button"
                            disabled={busy}
                            onClick={() =>
                              void run(
                                async () =>
                                  void (await api.post(
                                    `/v1/operators/${segment(o.username)}/${o.disabled ? 'enable' : 'disable'}`,
                                  )),
                              )
                            }
                          >
                            {o.disabled ? 'Enable' : 'Disable'}
                          </button>
                          <button
                            type="button"
                            disabled={busy}
                            onClick={() =>
                              void run(async () => {
                                const answer = await api.post<{ oneTimePassword: string }>(
                                  `/v1/operators/${segment(o.username)}/reset-password`,
                                );
                                setSecret({
                                  label: `New one-time password for ${o.username}`,
                                  value: answer.oneTimePassword,
                                });
                              })
                            }
                          >
                            Reset password
                          </button>
                        </span>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        title="New operator"
        open={creating}
        onClose={() => setCreating(false)}
        onSubmit={create}
        submitLabel="Create"
        busy={busy}
      >
        <label htmlFor="op-username">User name</label>
        <input
          id="op-username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
        />
        <label htmlFor="op-role">Role</label>
        <select id="op-role" value={role} onChange={(e) => setRole(e.target.value as OperatorRole)}>
          {ROLES.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        <p className="hint">
          A one-time password is generated and shown once; it must be changed at the first login.
        </p>
        <ErrorNote error={error} />
      </Dialog>
    </section>
  );
}
