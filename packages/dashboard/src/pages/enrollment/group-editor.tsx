import { type ReactNode, useState } from 'react';
import { api, segment } from '../../api/api-client.ts';
import { type DeviceGroup, SECURITY_LEVELS } from '../../api/api-types.ts';
import { useSession } from '../../session/session.tsx';
import { LevelBadge } from '../../ui/badges.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { LEVEL_NAMES } from '../../ui/format.ts';
import type { Loaded } from '../../ui/use-api.ts';

const NEW_GROUP: DeviceGroup = {
  name: '',
  targetLevel: 'SLB',
  requireChannelBinding: false,
  manualApproval: false,
  certificateValidityDays: 90,
};

/** Device groups: the security level their devices must reach and how they enroll (fleet:manage edits). */
export function Groups(props: { readonly groups: Loaded<{ groups: DeviceGroup[] }> }): ReactNode {
  const { can } = useSession();
  const [editing, setEditing] = useState<{ group: DeviceGroup; isNew: boolean } | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    if (!editing) return;
    setBusy(true);
    setError(undefined);
    try {
      const { name, ...body } = editing.group;
      await api.put(`/v1/groups/${segment(name)}`, body);
      setEditing(undefined);
      props.groups.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const set = (change: Partial<DeviceGroup>) =>
    editing && setEditing({ ...editing, group: { ...editing.group, ...change } });
  return (
    <section className="card" aria-labelledby="groups-title">
      <h2 id="groups-title">
        Groups
        {can('fleet:manage') ? (
          <span className="card-actions">
            <button type="button" onClick={() => setEditing({ group: NEW_GROUP, isNew: true })}>
              New group
            </button>
          </span>
        ) : null}
      </h2>
      <ErrorNote error={props.groups.error} />
      {!props.groups.data ? (
        <Loading />
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Target level</th>
              <th scope="col">Enrollment</th>
              <th scope="col">Certificate validity</th>
              {can('fleet:manage') ? <th scope="col">Edit</th> : null}
            </tr>
          </thead>
          <tbody>
            {props.groups.data.groups.map((g) => (
              <tr key={g.name}>
                <td>{g.name}</td>
                <td>
                  <LevelBadge level={g.targetLevel} />
                </td>
                <td>
                  {[
                    g.requireChannelBinding ? 'channel binding required' : null,
                    g.manualApproval ? 'manual approval' : null,
                  ]
                    .filter(Boolean)
                    .join(', ') || 'token or IDevID'}
                </td>
                <td>{g.certificateValidityDays} days</td>
                {can('fleet:manage') ? (
                  <td>
                    <button
                      type="button"
                      className="link"
                      onClick={() => setEditing({ group: g, isNew: false })}
                    >
                      Edit
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Dialog
        title={editing?.isNew ? 'New group' : `Group ${editing?.group.name ?? ''}`}
        open={editing !== undefined}
        onClose={() => setEditing(undefined)}
        onSubmit={save}
        busy={busy}
      >
        {editing ? (
          <>
            {editing.isNew ? (
              <>
                <label htmlFor="group-name">Name</label>
                <input
                  id="group-name"
                  required
                  value={editing.group.name}
                  onChange={(e) => set({ name: e.target.value })}
                />
              </>
            ) : null}
            <label htmlFor="group-level">Target security level</label>
            <select
              id="group-level"
              value={editing.group.targetLevel}
              onChange={(e) => set({ targetLevel: e.target.value as DeviceGroup['targetLevel'] })}
            >
              {SECURITY_LEVELS.map((level) => (
                <option key={level} value={level}>
                  {LEVEL_NAMES[level]} ({level})
                </option>
              ))}
            </select>
            <label className="inline">
              <input
                type="checkbox"
                checked={editing.group.requireChannelBinding}
                onChange={(e) => set({ requireChannelBinding: e.target.checked })}
              />
              Require TLS channel binding at enrollment
            </label>
            <label className="inline">
              <input
                type="checkbox"
                checked={editing.group.manualApproval}
                onChange={(e) => set({ manualApproval: e.target.checked })}
              />
              Hold enrollments for manual approval
            </label>
            <label htmlFor="group-validity">Certificate validity (days)</label>
            <input
              id="group-validity"
              type="number"
              min={1}
              max={825}
              value={editing.group.certificateValidityDays}
              onChange={(e) => set({ certificateValidityDays: Number(e.target.value) })}
            />
            <ErrorNote error={error} />
          </>
        ) : null}
      </Dialog>
    </section>
  );
}
