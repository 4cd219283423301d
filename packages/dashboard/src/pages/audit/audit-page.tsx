import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type { AuditEntry, AuditVerification } from '../../api/api-types.ts';
import { StateBadge } from '../../ui/badges.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatCount, formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';

function Verification(): ReactNode {
  const verify = useApi('audit-verify', () => api.get<AuditVerification>('/v1/audit/verify'));
  const v = verify.data;
  return (
    <section className="card" aria-labelledby="audit-verify" aria-live="polite">
      <h2 id="audit-verify">
        Hash chain
        <span className="card-actions">
          <button type="button" onClick={verify.reload} disabled={verify.loading}>
            Verify again
          </button>
        </span>
      </h2>
      <ErrorNote error={verify.error} />
      {!v ? (
        <Loading what="the verification" />
      ) : v.ok ? (
        <p className="success" data-audit-chain="ok">
          Intact: {formatCount(v.checked)} entries recomputed, every link matches. Head{' '}
          <span className="mono truncate">{v.head}</span>
        </p>
      ) : (
        <p className="error" data-audit-chain="broken">
          Broken at entry {v.firstBreak?.seq}: {v.firstBreak?.reason}. Entries up to there were checked (
          {formatCount(v.checked)}).
        </p>
      )}
      <p className="hint">
        Export the head hash to a system you trust: deleting only the newest entries cannot be seen from the
        chain alone.
      </p>
    </section>
  );
}

/** The audit log (audit:read): every operator action and refusal, newest first, with its chain verified. */
export default function AuditPage(): ReactNode {
  const [filter, setFilter] = useState({ actor: '', action: '' });
  const [draft, setDraft] = useState(filter);
  const [entries, setEntries] = useState<readonly AuditEntry[]>([]);
  const [next, setNext] = useState<number | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);

  const load = async (before: number | undefined) => {
    const page = await api.get<{ entries: AuditEntry[]; nextBefore?: number }>('/v1/audit', {
      limit: 100,
      before,
      actor: filter.actor || undefined,
      action: filter.action || undefined,
    });
    setEntries((current) => (before === undefined ? page.entries : [...current, ...page.entries]));
    setNext(page.nextBefore);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the filter changes.
  useEffect(() => {
    setLoading(true);
    load(undefined).then(
      () => setLoading(false),
      (caught: unknown) => {
        setError(caught);
        setLoading(false);
      },
    );
  }, [filter]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setFilter({ actor: draft.actor.trim(), action: draft.action.trim() });
  };

  return (
    <section className="page">
      <h1>Audit log</h1>
      <Verification />
      <form className="filters" onSubmit={apply} aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input
            id="audit-actor"
            value={draft.actor}
            onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
            placeholder="operator:alice"
          />
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
            placeholder="device.revoke"
          />
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
      {loading ? (
        <Loading what="entries" />
      ) : (
        <div className="card table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td className="nowrap">{formatTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ?? '—'}</td>
                  <td>
                    <StateBadge state={e.outcome} />
                  </td>
                  <td className="hint">
                    {Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {next !== undefined ? (
            <div className="actions">
              <button type="button" onClick={() => void load(next).catch(setError)}>
                Older entries
              </button>
            </div>
          ) : null}
        </div>
      )}
    </section>
  );
}
