import { type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import type { RolloutProgress } from '../../api/api-types.ts';
import { useSession } from '../../session/session.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorNote } from '../../ui/feedback.tsx';

/** Pause, resume or cancel a rollout (policies:manage); cancel returns its devices to the previous version. */
export function RolloutControls(props: {
  readonly rollout: RolloutProgress;
  readonly onChanged: () => void;
}): ReactNode {
  const { can } = useSession();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const { rollout } = props;
  if (!can('policies:manage') || rollout.status === 'completed' || rollout.status === 'cancelled')
    return null;
  const step = async (action: 'pause' | 'resume' | 'cancel') => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/v1/policy-rollouts/${rollout.id}/${action}`);
      setConfirmCancel(false);
      props.onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="card-actions">
      {rollout.status === 'running' ? (
        <button type="button" disabled={busy} onClick={() => void step('pause')}>
          Pause
        </button>
      ) : (
        <button type="button" disabled={busy} onClick={() => void step('resume')}>
          Resume
        </button>
      )}
      <button type="button" disabled={busy} onClick={() => setConfirmCancel(true)}>
        Cancel rollout
      </button>
      {confirmCancel ? null : <ErrorNote error={error} />}
      <Dialog
        title="Cancel the rollout"
        open={confirmCancel}
        onClose={() => setConfirmCancel(false)}
        onSubmit={() => step('cancel')}
        submitLabel="Cancel rollout"
        danger
        busy={busy}
      >
        <p>Devices that already got version {rollout.version} go back to the previous version.</p>
        <ErrorNote error={error} />
      </Dialog>
    </span>
  );
}
