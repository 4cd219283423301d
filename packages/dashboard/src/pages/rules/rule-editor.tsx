import { type ReactNode, useEffect, useState } from 'react';
import { api, segment } from '../../api/api-client.ts';
import { ApiProblem } from '../../api/api-problem.ts';
import type { RuleVersion, StoredRule } from '../../api/api-types.ts';
import { Link, navigate } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatTime } from '../../ui/format.ts';
import { JsonEditor, parseJson } from '../../ui/json-editor.tsx';
import { useApi } from '../../ui/use-api.ts';

/** A starting point that passes the panel's checks: an anchored match, a threshold, an alert. */
const TEMPLATE = {
  id: 'new-rule',
  title: 'Describe what this rule catches',
  description: '',
  enabled: true,
  severity: 6,
  controls: ['SI-2'],
  match: { field: 'type', op: 'eq', value: 'auth.login-failed' },
  detect: { kind: 'threshold', count: 5, windowSeconds: 60, per: 'device' },
  actions: [{ type: 'alert' }],
};

function Versions(props: {
  readonly ruleId: string;
  readonly onPick: (document: unknown) => void;
}): ReactNode {
  const versions = useApi(`rule-versions:${props.ruleId}`, () =>
    api.get<{ versions: RuleVersion[] }>(`/v1/rules/${segment(props.ruleId)}/versions`),
  );
  return (
    <section className="card" aria-labelledby="rule-versions">
      <h2 id="rule-versions">Versions</h2>
      <ErrorNote error={versions.error} />
      {!versions.data ? (
        <Loading />
      ) : (
        <ul className="plain">
          {versions.data.versions.map((v) => (
            <li key={v.version}>
              <button type="button" className="link" onClick={() => props.onPick(v.document)}>
                v{v.version}
              </button>{' '}
              {formatTime(v.createdAt)} by {v.createdBy}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * A rule's JSON document, checked by the panel (every problem named by JSON
 * pointer) when saved; docs/detection-rules.md is the reference. Read-only
 * for roles without rules:manage.
 */
export default function RuleEditor(props: { readonly ruleId: string | undefined }): ReactNode {
  const { can } = useSession();
  const editable = can('rules:manage');
  const creating = props.ruleId === undefined;
  const rule = useApi(props.ruleId ? `rule:${props.ruleId}` : null, () =>
    api.get<StoredRule>(`/v1/rules/${segment(props.ruleId ?? '')}`),
  );
  const [text, setText] = useState(creating ? JSON.stringify(TEMPLATE, null, 2) : '');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    if (rule.data) setText(JSON.stringify(rule.data.document, null, 2));
  }, [rule.data]);

  const save = async () => {
    const parsed = parseJson(text);
    if (!parsed.ok) return;
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      if (creating) {
        const created = await api.post<StoredRule>('/v1/rules', parsed.value);
        navigate(`/rules/${created.id}`);
      } else {
        const updated = await api.put<StoredRule>(`/v1/rules/${segment(props.ruleId ?? '')}`, parsed.value);
        setSaved(`Saved as version ${updated.version}.`);
        rule.reload();
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await api.delete(`/v1/rules/${segment(props.ruleId ?? '')}`);
      navigate('/rules');
    } catch (caught) {
      setError(caught);
      setConfirmDelete(false);
    } finally {
      setBusy(false);
    }
  };

  if (!creating && !rule.data)
    return rule.error ? <ErrorNote error={rule.error} /> : <Loading what="the rule" />;
  const problems = error instanceof ApiProblem ? error.problems : [];
  const title = creating ? 'New detection rule' : String(rule.data?.document.title ?? props.ruleId);

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to="/rules">Detection rules</Link> / {creating ? 'new' : props.ruleId}
      </nav>
      <div className="page-head">
        <div>
          <h1>{title}</h1>
          {rule.data ? (
            <p className="subtitle">
              Version {rule.data.version}, saved {formatTime(rule.data.updatedAt)} by {rule.data.updatedBy}
            </p>
          ) : null}
        </div>
      </div>
      <div className="editor">
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <JsonEditor
            id="rule-json"
            label="Rule document (JSON)"
            value={text}
            {...(editable ? { onChange: setText } : {})}
            problems={problems}
            pointerPrefix="/body"
          />
          {problems.length === 0 ? <ErrorNote error={error} /> : null}
          {saved ? (
            <p className="success" role="status">
              {saved}
            </p>
          ) : null}
          {editable ? (
            <div className="actions">
              <button type="submit" className="primary" disabled={busy || !parseJson(text).ok}>
                {creating ? 'Create rule' : 'Save new version'}
              </button>
              {!creating ? (
                <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
              ) : null}
            </div>
          ) : (
            <p className="hint">Read only: editing rules needs the rules:manage permission.</p>
          )}
        </form>
        <div>
          <section className="card">
            <h2>Reference</h2>
            <p>
              <code>match</code> is a condition tree (<code>all</code>, <code>any</code>, <code>not</code>,
              leaves <code>{'{field, op, value}'}</code>) and must be anchored by a value test;{' '}
              <code>detect</code> is <code>match</code>, <code>threshold</code>, <code>sequence</code> or{' '}
              <code>spread</code>.
            </p>
            <p className="hint">The full reference is docs/detection-rules.md in the repository.</p>
          </section>
          {!creating && props.ruleId ? (
            <Versions
              ruleId={props.ruleId}
              onPick={(document) => setText(JSON.stringify(document, null, 2))}
            />
          ) : null}
        </div>
      </div>
      <Dialog
        title="Delete the rule"
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        onSubmit={remove}
        submitLabel="Delete"
        danger
        busy={busy}
      >
        <p>The rule stops firing at once. Its versions and the alerts it raised stay on record.</p>
      </Dialog>
    </section>
  );
}
