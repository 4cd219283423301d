import type { ReactNode } from 'react';
import type { AttestationAnswer, InventoryAnswer, Presence } from '../../api/api-types.ts';
import { OnlineBadge, StateBadge } from '../../ui/badges.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime } from '../../ui/format.ts';
import type { Loaded } from '../../ui/use-api.ts';

const ROOT_OF_TRUST: Readonly<Record<string, string>> = {
  software: 'Software keys (no hardware protection)',
  pkcs11: 'PKCS#11 token (secure element or HSM)',
  tpm: 'TPM 2.0',
};

export function DevicePresence(props: { readonly presence: Loaded<Presence> }): ReactNode {
  const p = props.presence.data;
  return (
    <section className="card" aria-labelledby="dev-presence">
      <h2 id="dev-presence">Presence and root of trust</h2>
      <ErrorNote error={props.presence.error} />
      {!p ? (
        <Loading />
      ) : (
        <dl className="facts">
          <dt>Presence</dt>
          <dd>
            <OnlineBadge online={p.online} /> {p.channelConnections > 0 ? `(push channel open)` : ''}
          </dd>
          <dt>Last seen</dt>
          <dd>
            {formatAgo(p.lastSeenAt)} <span className="muted">{formatTime(p.lastSeenAt)}</span>
          </dd>
          <dt>Last connected</dt>
          <dd>{formatTime(p.lastConnectedAt)}</dd>
          <dt>Last disconnected</dt>
          <dd>{formatTime(p.lastDisconnectedAt)}</dd>
          <dt>Agent</dt>
          <dd>{p.agentVersion ?? '—'}</dd>
          <dt>Root of trust</dt>
          <dd>
            {p.rootOfTrust ? (ROOT_OF_TRUST[p.rootOfTrust] ?? p.rootOfTrust) : '—'}
            {p.hardwareBacked === null
              ? null
              : p.hardwareBacked
                ? ' · hardware-backed key'
                : ' · key not hardware-backed'}
          </dd>
        </dl>
      )}
    </section>
  );
}

export function DeviceAttestation(props: { readonly attestation: Loaded<AttestationAnswer> }): ReactNode {
  const a = props.attestation.data;
  return (
    <section className="card" aria-labelledby="dev-attestation">
      <h2 id="dev-attestation">Attestation</h2>
      <ErrorNote error={props.attestation.error} />
      {!a ? (
        props.attestation.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StateBadge state={a.status} />
            </dd>
            <dt>Last passed</dt>
            <dd>{formatTime(a.lastPassAt)}</dd>
            <dt>Last verdict</dt>
            <dd>{formatTime(a.lastVerdictAt)}</dd>
          </dl>
          {a.verdicts.length === 0 ? (
            <Empty>No attestation verdict yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Result</th>
                    <th scope="col">What failed</th>
                  </tr>
                </thead>
                <tbody>
                  {a.verdicts.slice(0, 10).map((v) => (
                    <tr key={v.id}>
                      <td>{formatTime(v.createdAt)}</td>
                      <td>
                        <StateBadge state={v.result} />
                      </td>
                      <td>
                        {v.code ? <code>{v.code}</code> : null} {v.message}
                        {v.pcr !== null ? ` · PCR ${v.pcr}` : ''}
                        {v.eventIndex !== null ? ` · event #${v.eventIndex}` : ''}
                        {v.eventType ? ` (${v.eventType})` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function factText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.prettyName === 'string') return record.prettyName;
    return Object.entries(record)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  }
  return String(value);
}

/** The facts the agent last reported; unknown ones with the agent's reason. */
export function DeviceInventory(props: { readonly inventory: Loaded<InventoryAnswer> }): ReactNode {
  const answer = props.inventory.data;
  const entries = Object.entries(answer?.inventory ?? {});
  return (
    <section className="card" aria-labelledby="dev-inventory">
      <h2 id="dev-inventory">Inventory</h2>
      <ErrorNote error={props.inventory.error} />
      {!answer ? (
        <Loading />
      ) : entries.length === 0 ? (
        <Empty>The device has not reported an inventory.</Empty>
      ) : (
        <>
          <p className="hint">Reported {formatAgo(answer.reportedAt)}.</p>
          <dl className="facts">
            {entries.map(([key, fact]) => (
              <div key={key} className="contents">
                <dt>{key}</dt>
                <dd>
                  {typeof fact === 'string' ? (
                    fact
                  ) : fact.known ? (
                    factText(fact.value)
                  ) : (
                    <span className="muted">unknown: {fact.reason}</span>
                  )}
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}
