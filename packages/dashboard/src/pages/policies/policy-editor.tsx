import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api/api-client.ts';
import { ApiProblem } from '../../api/api-problem.ts';
import {
  POLICY_KINDS,
  type PolicyDetail,
  type PolicyEnvelope,
  type PublishedVersion,
} from '../../api/api-types.ts';
import { Link, navigate } from '../../app/router.tsx';
import { ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatCount } from '../../ui/format.ts';
import { JsonEditor, parseJson } from '../../ui/json-editor.tsx';
import { useApi } from '../../ui/use-api.ts';
import { POLICY_TEMPLATES, parsePhases } from './policy-templates.ts';

function Schema(props: { readonly kind: string }): ReactNode {
  const schema = useApi(`schema:${props.kind}`, () => api.get<unknown>(`/v1/policies/schemas/${props.kind}`));
  return (
    <details>
      <summary>JSON Schema of {props.kind} policies</summary>
      {schema.data ? <pre>{JSON.stringify(schema.data, null, 2)}</pre> : <Loading />}
    </details>
  );
}

/**
 * Authoring a policy: a new one (kind, name, version 1) or the next version
 * of an existing one. The panel checks the document and names every problem
 * by JSON pointer; "Preview" checks without publishing and lists the devices
 * it would reach. Publishing may be staged in phases (cumulative percent).
 */
export default function PolicyEditor(props: { readonly policyId: string | undefined }): ReactNode {
  const creating = props.policyId === undefined;
  const policy = useApi(props.policyId ? `policy:${props.policyId}` : null, () =>
    api.get<PolicyDetail>(`/v1/policies/${encodeURIComponent(props.policyId ?? '')}`),
  );
  const latest = useApi(policy.data ? `envelope:${policy.data.id}:${policy.data.latestVersion}` : null, () =>
    api.get<PolicyEnvelope>(
      `/v1/policies/${policy.data?.id ?? ''}/versions/${policy.data?.latestVersion ?? 1}`,
    ),
  );
  const [kind, setKind] = useState('crypto');
  const [name, setName] = useState('');
  const [text, setText] = useState(JSON.stringify(POLICY_TEMPLATES.crypto, null, 2));
  const [phases, setPhases] = useState('');
  const [threshold, setThreshold] = useState(20);
  const [soak, setSoak] = useState(300);
  const [error, setError] = useState<unknown>();
  const [preview, setPreview] = useState<readonly string[] | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (latest.data) setText(JSON.stringify(latest.data.envelope.payload.document, null, 2));
  }, [latest.data]);

  const parsedPhases = parsePhases(phases);
  const rollout =
    parsedPhases === undefined || parsedPhases === 'invalid'
      ? undefined
      : { phases: parsedPhases, failureThreshold: threshold / 100, soakSeconds: soak };

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const doPreview = () =>
    run(async () => {
      const parsed = parseJson(text);
      if (!parsed.ok || !policy.data) return;
      const answer = await api.post<{ devices: string[] }>(`/v1/policies/${policy.data.id}/preview`, {
        document: parsed.value,
      });
      setPreview(answer.devices);
    });

  const publish = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseJson(text);
    if (!parsed.ok || parsedPhases === 'invalid') return;
    void run(async () => {
      const body = { document: parsed.value, ...(rollout ? { rollout } : {}) };
      const published = creating
        ? await api.post<PublishedVersion>('/v1/policies', { kind, name, ...body })
        : await api.post<PublishedVersion>(`/v1/policies/${policy.data?.id ?? ''}/versions`, body);
      navigate(`/policies/${published.policyId}`);
    });
  };

  if (!creating && (!policy.data || !latest.data))
    return policy.error || latest.error ? (
      <ErrorNote error={policy.error ?? latest.error} />
    ) : (
      <Loading what="the policy" />
    );
  const problems = error instanceof ApiProblem ? error.problems : [];
  const currentKind = policy.data?.kind ?? kind;

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to="/policies">Policies</Link> /{' '}
        {creating ? 'new' : <Link to={`/policies/${props.policyId ?? ''}`}>{policy.data?.name}</Link>}
      </nav>
      <h1>
        {creating
          ? 'New policy'
          : `${policy.data?.name ?? ''}: version ${(policy.data?.latestVersion ?? 0) + 1}`}
      </h1>
      <form className="editor" onSubmit={publish}>
        <div className="card">
          {creating ? (
            <div className="filters">
              <div className="field">
                <label htmlFor="policy-kind">Kind</label>
                <select
                  id="policy-kind"
                  value={kind}
                  onChange={(e) => {
                    setKind(e.target.value);
                    setText(JSON.stringify(POLICY_TEMPLATES[e.target.value] ?? {}, null, 2));
                  }}
                >
                  {POLICY_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="policy-name">Name</label>
                <input
                  id="policy-name"
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  required
                  pattern="[a-z0-9][a-z0-9._\-]{0,63}"
                />
              </div>
            </div>
          ) : null}
          <JsonEditor
            id="policy-json"
            label="Policy document (JSON)"
            value={text}
            onChange={(value) => {
              setText(value);
              setPreview(undefined);
            }}
            problems={problems}
            pointerPrefix="/body/document"
          />
          {problems.length === 0 ? <ErrorNote error={error} /> : null}
          {preview ? (
            <p className="success" role="status">
              Valid. Publishing would reach {formatCount(preview.length)} device(s)
              {preview.length > 0
                ? `: ${preview.slice(0, 12).join(', ')}${preview.length > 12 ? ', …' : ''}`
                : ''}
              .
            </p>
          ) : null}
        </div>
        <div>
          <section className="card">
            <h2>Rollout</h2>
            <label htmlFor="policy-phases">Phases (cumulative % of devices)</label>
            <input
              id="policy-phases"
              value={phases}
              onChange={(e) => setPhases(e.target.value)}
              placeholder="e.g. 10, 50, 100"
              aria-describedby="phases-hint"
            />
            <p id="phases-hint" className={parsedPhases === 'invalid' ? 'error' : 'hint'}>
              {parsedPhases === 'invalid'
                ? 'Phases must be whole percentages that increase and end at 100.'
                : 'Empty: every device at once. Each phase waits until its devices have reported and the soak time has passed.'}
            </p>
            {rollout ? (
              <>
                <label htmlFor="policy-threshold">Pause when failures exceed (% of the phase)</label>
                <input
                  id="policy-threshold"
                  type="number"
                  min={1}
                  max={100}
                  value={threshold}
                  onChange={(e) => setThreshold(Number(e.target.value))}
                />
                <label htmlFor="policy-soak">Soak time per phase (seconds)</label>
                <input
                  id="policy-soak"
                  type="number"
                  min={0}
                  max={604800}
                  value={soak}
                  onChange={(e) => setSoak(Number(e.target.value))}
                />
              </>
            ) : null}
            <div className="actions">
              {creating ? null : (
                <button type="button" disabled={busy || !parseJson(text).ok} onClick={() => void doPreview()}>
                  Preview
                </button>
              )}
              <button
                type="submit"
                className="primary"
                disabled={busy || !parseJson(text).ok || parsedPhases === 'invalid'}
              >
                {creating ? 'Create and publish v1' : 'Publish'}
              </button>
            </div>
            <p className="hint">
              Publishing signs the document with the panel’s policy keys (P-256 and ML-DSA-65).
            </p>
          </section>
          <section className="card">
            <Schema kind={currentKind} />
          </section>
        </div>
      </form>
    </section>
  );
}
