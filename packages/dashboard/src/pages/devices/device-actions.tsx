import { type ReactNode, useState } from 'react';
import { api, segment } from '../../api/api-client.ts';
import { ApiProblem } from '../../api/api-problem.ts';
import type { Device, EnrollmentToken } from '../../api/api-types.ts';
import { useSession } from '../../session/session.tsx';
import { CopySecret } from '../../ui/copy-secret.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorNote } from '../../ui/feedback.tsx';
import { formatTime } from '../../ui/format.ts';

/** RFC 5280 §5.3.1 reasons the panel accepts, in the order operators reach for them. */
const REASONS: ReadonlyArray<[string, string]> = [
  ['keyCompromise', 'Key compromise: the private key may be known to someone else'],
  ['cessationOfOperation', 'Cessation of operation: the device is out of service'],
  ['superseded', 'Superseded: replaced by a new certificate'],
  ['affiliationChanged', 'Affiliation changed: the device moved to another owner or site'],
  ['privilegeWithdrawn', 'Privilege withdrawn'],
  ['certificateHold', 'Certificate hold'],
  ['cACompromise', 'CA compromise'],
  ['aACompromise', 'AA compromise'],
  ['unspecified', 'Unspecified'],
];

type Open = 'revoke' | 'decommission' | 'token' | undefined;

/**
 * What an operator with fleet:manage may do to one device: push a refresh,
 * a renewal or an attestation, hand out an enrollment token, revoke or
 * decommission. Without the permission none of it is shown.
 */
export function DeviceActions(props: { readonly device: Device; readonly onChanged: () => void }): ReactNode {
  const { can } = useSession();
  const { device } = props;
  const [open, setOpen] = useState<Open>();
  const [reason, setReason] = useState('keyCompromise');
  const [ttlHours, setTtlHours] = useState(24);
  const [token, setToken] = useState<EnrollmentToken | undefined>();
  const [error, setError] = useState<unknown>();
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  if (!can('fleet:manage')) return null;

  const base = `/v1/devices/${segment(device.id)}`;
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const push = (path: string, what: string) =>
    run(async () => {
      const { delivered } = await api.post<{ delivered: boolean }>(`${base}/${path}`);
      setMessage(
        delivered
          ? `${what}: sent to the device.`
          : `${what}: the device is not connected; it will see it at its next check-in.`,
      );
    });
  const close = () => {
    setOpen(undefined);
    setToken(undefined);
    setError(undefined);
  };
  const live = device.state === 'enrolled';

  return (
    <div className="actions">
      {live ? (
        <>
          <button type="button" disabled={busy} onClick={() => void push('refresh', 'Refresh')}>
            Check in now
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => void push('renew-certificate', 'Renewal request')}
          >
            Renew certificate
          </button>
          <button type="button" disabled={busy} onClick={() => void push('attest', 'Attestation request')}>
            Attest now
          </button>
        </>
      ) : null}
      {device.state === 'claimed' || device.state === 'enrolled' ? (
        <button type="button" onClick={() => setOpen('token')}>
          Enrollment token
        </button>
      ) : null}
      {device.state !== 'decommissioned' && device.state !== 'revoked' ? (
        <button type="button" className="danger" onClick={() => setOpen('revoke')}>
          Revoke…
        </button>
      ) : null}
      {device.state !== 'decommissioned' ? (
        <button type="button" onClick={() => setOpen('decommission')}>
          Decommission…
        </button>
      ) : null}
      {message ? (
        <span className="success" role="status">
          {message}
        </span>
      ) : null}
      {open === undefined ? <ErrorNote error={error} /> : null}

      <Dialog
        title={`Revoke ${device.id}`}
        open={open === 'revoke'}
        onClose={close}
        danger
        busy={busy}
        submitLabel="Revoke certificates"
        onSubmit={() =>
          run(async () => {
            await api.post(`${base}/revoke`, { reason });
            close();
            setMessage('Revoked: the CRL and OCSP answer it now and its connections were closed.');
            props.onChanged();
          })
        }
      >
        <p>
          Every certificate of the device is revoked: the CRL and OCSP are updated, live connections close,
          and the device can no longer reach the device API. This cannot be undone; the device must be
          registered again.
        </p>
        <label htmlFor="revoke-reason">Reason (RFC 5280)</label>
        <select id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
          {REASONS.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        <ErrorNote error={error} />
      </Dialog>

      <Dialog
        title={`Decommission ${device.id}`}
        open={open === 'decommission'}
        onClose={close}
        danger
        busy={busy}
        submitLabel="Decommission"
        onSubmit={() =>
          run(async () => {
            await api.post(`${base}/decommission`);
            close();
            props.onChanged();
          })
        }
      >
        <p>The device is taken out of service for good; its certificates are revoked.</p>
        <ErrorNote error={error} />
      </Dialog>

      <Dialog
        title={`Enrollment token for ${device.id}`}
        open={open === 'token'}
        onClose={close}
        busy={busy}
        submitLabel="Create token"
        {...(token
          ? {}
          : {
              onSubmit: () =>
                run(async () => {
                  setToken(
                    await api.post<EnrollmentToken>(`${base}/enrollment-token`, {
                      ttlSeconds: ttlHours * 3600,
                    }),
                  );
                }),
            })}
      >
        {token ? (
          <CopySecret
            label="Enrollment token"
            value={token.token}
            note={`Valid once, until ${formatTime(token.expiresAt)}. Shown only now: put it in the agent's enrollment.tokenFile.`}
          />
        ) : (
          <>
            <p>
              A one-time token the device presents at EST simpleenroll (HTTP Basic with its ID, or Bearer).
            </p>
            <label htmlFor="token-ttl">Valid for (hours)</label>
            <input
              id="token-ttl"
              type="number"
              min={1}
              max={720}
              value={ttlHours}
              onChange={(e) => setTtlHours(Number(e.target.value))}
            />
          </>
        )}
        <ErrorNote error={error} />
      </Dialog>
    </div>
  );
}

/**
 * Tags drive tag-scoped policy assignments. The API sets a device's tags
 * (replacing them) but does not list them yet, so this form sets them and
 * shows what was saved.
 */
export function DeviceTags(props: { readonly device: Device }): ReactNode {
  const { can } = useSession();
  const [text, setText] = useState('');
  const [saved, setSaved] = useState<readonly string[] | undefined>();
  const [error, setError] = useState<unknown>();
  if (!can('fleet:manage')) return null;
  const save = async () => {
    setError(undefined);
    const tags = text
      .split(/[\s,]+/)
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '');
    try {
      const answer = await api.put<{ tags: string[] }>(`/v1/devices/${segment(props.device.id)}/tags`, {
        tags,
      });
      setSaved(answer.tags);
    } catch (caught) {
      setError(caught);
    }
  };
  const problems = error instanceof ApiProblem ? error.problems : [];
  return (
    <section className="card" aria-labelledby="dev-tags">
      <h2 id="dev-tags">Tags</h2>
      <p className="hint">
        Tags select devices for tag-scoped policies. Saving replaces all of the device’s tags; the API does
        not list the current ones yet.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label htmlFor="tags-input">Tags (comma or space separated)</label>
        <input
          id="tags-input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="line-1 building:north"
          size={40}
        />
        <div className="actions">
          <button type="submit">Set tags</button>
        </div>
      </form>
      {saved ? (
        <p className="success" role="status">
          Tags now:{' '}
          {saved.length === 0
            ? 'none'
            : saved.map((t) => (
                <span key={t} className="tag">
                  {t}
                </span>
              ))}
        </p>
      ) : null}
      <ErrorNote error={error} />
      {problems.length > 0 ? (
        <ul className="problems">
          {problems.map((p) => (
            <li key={p.path}>
              <span className="pointer">{p.path}</span> {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
