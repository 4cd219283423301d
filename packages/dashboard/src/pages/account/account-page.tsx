import { type FormEvent, type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type { ApiToken, OperatorRole } from '../../api/api-types.ts';
import { ChangePasswordForm } from '../../session/change-password-page.tsx';
import { useMe } from '../../session/session.tsx';
import { CopySecret } from '../../ui/copy-secret.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';

/** API tokens for automation: a role no more powerful than the creator's, an expiry, revocable. */
function ApiTokens(): ReactNode {
  const me = useMe();
  const tokens = useApi('tokens', () => api.get<{ tokens: ApiToken[] }>('/v1/tokens'));
  const [name, setName] = useState('');
  const [role, setRole] = useState<OperatorRole>('viewer');
  const [days, setDays] = useState(90);
  const [secret, setSecret] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  // A token's permissions must be a subset of its creator's (ROLE_NOT_GRANTABLE otherwise).
  const grantable = (['viewer', 'auditor', 'operator', 'admin'] as const).filter(
    (r) => me.role === 'admin' || r === me.role || r === 'viewer',
  );
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const answer = await api.post<{ token: string }>('/v1/tokens', {
        name,
        role,
        ttlSeconds: days * 86_400,
      });
      setSecret(answer.token);
      setName('');
      tokens.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const revoke = async (id: string) => {
    try {
      await api.delete(`/v1/tokens/${id}`);
      tokens.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const list = tokens.data?.tokens ?? [];
  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <ErrorNote error={tokens.error ?? error} />
      {!tokens.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>No API tokens.</Empty>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Owner</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoke</th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td>{t.owner}</td>
                <td>{formatTime(t.expiresAt)}</td>
                <td>{formatAgo(t.lastUsedAt)}</td>
                <td>
                  {t.revoked ? (
                    'revoked'
                  ) : (
                    <button type="button" onClick={() => void revoke(t.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {secret ? (
        <CopySecret
          label="API token"
          value={secret}
          note="Shown only now. Send it as Authorization: Bearer …"
        />
      ) : null}
      <form className="filters section-gap" onSubmit={create} aria-label="Create an API token">
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="token-role">Role</label>
          <select id="token-role" value={role} onChange={(e) => setRole(e.target.value as OperatorRole)}>
            {grantable.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-days">Valid for (days)</label>
          <input
            id="token-days"
            type="number"
            min={1}
            max={366}
            value={days}
            onChange={(e) => setDays(Number(e.target.value))}
          />
        </div>
        <div className="actions">
          <button type="submit">Create token</button>
        </div>
      </form>
    </section>
  );
}

export default function AccountPage(): ReactNode {
  const me = useMe();
  return (
    <section className="page">
      <h1>Your account</h1>
      <p className="subtitle">
        {me.username}, role {me.role}: {me.permissions.join(', ')}
      </p>
      <div className="grid-2 section-gap">
        <ChangePasswordForm username={me.username} forced={false} />
        <ApiTokens />
      </div>
    </section>
  );
}
