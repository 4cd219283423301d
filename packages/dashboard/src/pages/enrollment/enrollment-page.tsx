import { type FormEvent, type ReactNode, useState } from 'react';
import { api, segment } from '../../api/api-client.ts';
import type {
  Device,
  DeviceGroup,
  EnrollmentToken,
  Manufacturer,
  PendingEnrollment,
} from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { StateBadge } from '../../ui/badges.tsx';
import { CopySecret } from '../../ui/copy-secret.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';
import { Groups } from './group-editor.tsx';

function PendingEnrollments(): ReactNode {
  const { can } = useSession();
  const [status, setStatus] = useState('pending');
  const pending = useApi(
    `enrollments:${status}`,
    () => api.get<{ enrollments: PendingEnrollment[] }>('/v1/enrollments', { status: status || undefined }),
    {
      pollMs: 10_000,
    },
  );
  const [error, setError] = useState<unknown>();
  const decide = async (id: string, verb: 'approve' | 'reject') => {
    setError(undefined);
    try {
      await api.post(`/v1/enrollments/${id}/${verb}`);
      pending.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const list = pending.data?.enrollments ?? [];
  return (
    <section className="card" aria-labelledby="pending-title">
      <h2 id="pending-title">
        Enrollments held for approval
        <span className="card-actions">
          <label className="inline" htmlFor="pending-status">
            <span className="sr-only">Status</span>
            <select id="pending-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="pending">Pending</option>
              <option value="approved">Approved</option>
              <option value="rejected">Rejected</option>
              <option value="issued">Issued</option>
              <option value="">All</option>
            </select>
          </label>
        </span>
      </h2>
      <p className="hint">
        Groups with manual approval hold each EST request until an operator decides; the device retries
        meanwhile.
      </p>
      <ErrorNote error={pending.error ?? error} />
      {!pending.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>Nothing {status || 'here'}.</Empty>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Request</th>
              <th scope="col">CSR SHA-256</th>
              <th scope="col">Status</th>
              <th scope="col">Asked</th>
              {can('fleet:manage') ? <th scope="col">Decide</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link to={`/devices/${encodeURIComponent(e.deviceId)}`}>{e.deviceId}</Link>
                </td>
                <td>{e.operation}</td>
                <td>
                  <span className="mono truncate" title={e.csrSha256}>
                    {e.csrSha256}
                  </span>
                </td>
                <td>
                  <StateBadge state={e.status} />
                  {e.decidedBy ? <div className="hint">by {e.decidedBy}</div> : null}
                </td>
                <td title={formatTime(e.createdAt)}>{formatAgo(e.createdAt)}</td>
                {can('fleet:manage') ? (
                  <td>
                    {e.status === 'pending' ? (
                      <span className="actions">
                        <button
                          type="button"
                          className="primary"
                          onClick={() => void decide(e.id, 'approve')}
                        >
                          Approve
                        </button>
                        <button type="button" onClick={() => void decide(e.id, 'reject')}>
                          Reject
                        </button>
                      </span>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RegisterDevice(props: { readonly groups: readonly DeviceGroup[] }): ReactNode {
  const [mode, setMode] = useState<'token' | 'idevid'>('token');
  const [id, setId] = useState('');
  const [group, setGroup] = useState('default');
  const [serial, setSerial] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [token, setToken] = useState<(EnrollmentToken & { deviceId: string }) | undefined>();
  const [claimed, setClaimed] = useState<Device | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setToken(undefined);
    setClaimed(undefined);
    try {
      if (mode === 'token') {
        const device = await api.post<Device>('/v1/devices', { id: id.trim(), group });
        const issued = await api.post<EnrollmentToken>(
          `/v1/devices/${segment(device.id)}/enrollment-token`,
          {},
        );
        setToken({ ...issued, deviceId: device.id });
      } else {
        setClaimed(
          await api.post<Device>('/v1/devices/claims', {
            ...(id.trim() ? { id: id.trim() } : {}),
            group,
            ...(serial.trim() ? { idevidSerial: serial.trim() } : {}),
            ...(fingerprint.trim() ? { idevidFingerprint: fingerprint.trim() } : {}),
          }),
        );
      }
      setId('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card form-card" id="register" aria-labelledby="register-title">
      <h2 id="register-title">Register or claim a device</h2>
      <form onSubmit={submit}>
        <fieldset className="segmented">
          <legend className="sr-only">How the device enrolls</legend>
          <label className="inline">
            <input
              type="radio"
              name="register-mode"
              checked={mode === 'token'}
              onChange={() => setMode('token')}
            />
            One-time token
          </label>
          <label className="inline">
            <input
              type="radio"
              name="register-mode"
              checked={mode === 'idevid'}
              onChange={() => setMode('idevid')}
            />
            Manufacturer identity (IDevID)
          </label>
        </fieldset>
        <label htmlFor="register-id">Device ID{mode === 'idevid' ? ' (optional)' : ''}</label>
        <input
          id="register-id"
          value={id}
          onChange={(e) => setId(e.target.value)}
          required={mode === 'token'}
          pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,127}"
        />
        <label htmlFor="register-group">Group</label>
        <select id="register-group" value={group} onChange={(e) => setGroup(e.target.value)}>
          {props.groups.map((g) => (
            <option key={g.name} value={g.name}>
              {g.name}
            </option>
          ))}
        </select>
        {mode === 'idevid' ? (
          <>
            <label htmlFor="register-serial">IDevID subject serialNumber</label>
            <input id="register-serial" value={serial} onChange={(e) => setSerial(e.target.value)} />
            <label htmlFor="register-fingerprint">or IDevID certificate SHA-256 fingerprint</label>
            <input
              id="register-fingerprint"
              value={fingerprint}
              onChange={(e) => setFingerprint(e.target.value)}
              size={64}
            />
          </>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {mode === 'token' ? 'Register and create token' : 'Claim device'}
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
      {token ? (
        <CopySecret
          label={`Enrollment token for ${token.deviceId}`}
          value={token.token}
          note={`Valid once, until ${formatTime(token.expiresAt)}; shown only now. Put it in the agent's enrollment.tokenFile.`}
        />
      ) : null}
      {claimed ? (
        <p className="success" role="status">
          Claimed <Link to={`/devices/${encodeURIComponent(claimed.id)}`}>{claimed.id}</Link>: it may now
          enroll with its IDevID.
        </p>
      ) : null}
    </section>
  );
}

function Manufacturers(): ReactNode {
  const { can } = useSession();
  const manufacturers = useApi('manufacturers', () =>
    api.get<{ manufacturers: Manufacturer[] }>('/v1/manufacturers'),
  );
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const [autoClaim, setAutoClaim] = useState(false);
  const [defaultGroup, setDefaultGroup] = useState('default');
  const [error, setError] = useState<unknown>();
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await api.post('/v1/manufacturers', { name, certificatePem: pem, autoClaim, defaultGroup });
      setName('');
      setPem('');
      manufacturers.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const list = manufacturers.data?.manufacturers ?? [];
  return (
    <section className="card" aria-labelledby="manufacturers-title">
      <h2 id="manufacturers-title">Manufacturer CAs (IDevID)</h2>
      <ErrorNote error={manufacturers.error} />
      {!manufacturers.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>No manufacturer CA is trusted: devices enroll with one-time tokens.</Empty>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Manufacturer</th>
              <th scope="col">CA SHA-256</th>
              <th scope="col">Devices need a claim</th>
              <th scope="col">Trusted since</th>
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td>
                <td>
                  <span className="mono truncate" title={m.fingerprint}>
                    {m.fingerprint}
                  </span>
                </td>
                <td>{m.autoClaim ? `no: auto-claimed into ${m.defaultGroup}` : 'yes'}</td>
                <td>{formatTime(m.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can('pki:manage') ? (
        <details className="section-gap">
          <summary>Trust a manufacturer CA</summary>
          <form onSubmit={add}>
            <label htmlFor="mfr-name">Name</label>
            <input id="mfr-name" value={name} onChange={(e) => setName(e.target.value)} required />
            <label htmlFor="mfr-pem">CA certificate (PEM)</label>
            <textarea
              id="mfr-pem"
              className="code"
              rows={8}
              value={pem}
              onChange={(e) => setPem(e.target.value)}
              required
            />
            <label className="inline">
              <input type="checkbox" checked={autoClaim} onChange={(e) => setAutoClaim(e.target.checked)} />
              Auto-claim: its devices enroll without being claimed first
            </label>
            <label htmlFor="mfr-group">Group for auto-claimed devices</label>
            <input id="mfr-group" value={defaultGroup} onChange={(e) => setDefaultGroup(e.target.value)} />
            <div className="actions">
              <button type="submit" className="primary">
                Trust this CA
              </button>
            </div>
            <ErrorNote error={error} />
          </form>
        </details>
      ) : null}
    </section>
  );
}

/** Enrollment and PKI (ID-1, ID-2): groups, devices to register or claim, held enrollments, manufacturer CAs. */
export default function EnrollmentPage(): ReactNode {
  const { can } = useSession();
  const groups = useApi('groups', () => api.get<{ groups: DeviceGroup[] }>('/v1/groups'));
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Enrollment and PKI</h1>
          <p className="subtitle">
            How devices get their identity: groups, tokens, manufacturer identities and approvals.
          </p>
        </div>
      </div>
      <Groups groups={groups} />
      <PendingEnrollments />
      <div className="grid-2">
        {can('fleet:manage') ? <RegisterDevice groups={groups.data?.groups ?? []} /> : null}
        <Manufacturers />
      </div>
    </section>
  );
}
