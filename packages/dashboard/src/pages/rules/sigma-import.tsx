import { type ReactNode, useState } from 'react';
import { api } from '../../api/api-client.ts';
import { ApiProblem } from '../../api/api-problem.ts';
import type { StoredRule } from '../../api/api-types.ts';
import { Link, navigate } from '../../app/router.tsx';
import { ErrorNote } from '../../ui/feedback.tsx';
import { JsonEditor } from '../../ui/json-editor.tsx';

const EXAMPLE = `title: Shell spawned by the PLC bridge
id: 5f1c6a7e-0b1d-4c3e-9a55-2f3c1e0d9b21
logsource:
  product: linux
  category: process_creation
detection:
  selection:
    name|endswith:
      - /sh
      - /bash
  condition: selection
level: high
`;

/**
 * Sigma import (SI-2): the panel converts the field-condition subset of a
 * Sigma rule into a detection rule. A dry run shows the result first; saving
 * converts again and stores it as version 1.
 */
export default function SigmaImport(): ReactNode {
  const [sigma, setSigma] = useState(EXAMPLE);
  const [id, setId] = useState('');
  const [eventTypes, setEventTypes] = useState('process.started');
  const [converted, setConverted] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const body = (dryRun: boolean) => {
    const types = eventTypes
      .split(/[\s,]+/)
      .map((t) => t.trim())
      .filter((t) => t !== '');
    return {
      sigma,
      ...(id.trim() ? { id: id.trim() } : {}),
      ...(types.length > 0 ? { eventTypes: types } : {}),
      dryRun,
    };
  };
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      if (dryRun) {
        setConverted((await api.post<{ rule: unknown }>('/v1/rules/sigma', body(true))).rule);
      } else {
        const saved = await api.post<StoredRule>('/v1/rules/sigma', body(false));
        navigate(`/rules/${saved.id}`);
      }
    } catch (caught) {
      setError(caught);
      if (dryRun) setConverted(undefined);
    } finally {
      setBusy(false);
    }
  };
  const problems = error instanceof ApiProblem ? error.problems : [];

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to="/rules">Detection rules</Link> / Sigma import
      </nav>
      <h1>Import a Sigma rule</h1>
      <div className="editor">
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void run(true);
          }}
        >
          <label htmlFor="sigma-yaml">Sigma rule (YAML)</label>
          <textarea
            id="sigma-yaml"
            className="code"
            rows={18}
            spellCheck={false}
            value={sigma}
            onChange={(e) => {
              setSigma(e.target.value);
              setConverted(undefined);
            }}
          />
          <label htmlFor="sigma-id">Rule ID (optional)</label>
          <input
            id="sigma-id"
            value={id}
            onChange={(e) => setId(e.target.value)}
            placeholder="derived from the Sigma title"
            size={40}
          />
          <label htmlFor="sigma-types">Palisade event types it applies to</label>
          <input
            id="sigma-types"
            value={eventTypes}
            onChange={(e) => setEventTypes(e.target.value)}
            size={40}
          />
          <p className="hint">
            Sigma rules name log sources, not event types; say which events the rule should test.
          </p>
          <ErrorNote error={error} />
          {problems.length > 0 ? (
            <ul className="problems">
              {problems.map((p) => (
                <li key={`${p.path}:${p.message}`}>
                  <span className="pointer">{p.path}</span> {p.message}
                </li>
              ))}
            </ul>
          ) : null}
          <div className="actions">
            <button type="submit" disabled={busy}>
              Convert (dry run)
            </button>
            <button
              type="button"
              className="primary"
              disabled={busy || converted === undefined}
              onClick={() => void run(false)}
            >
              Save as a rule
            </button>
          </div>
        </form>
        <div className="card">
          {converted === undefined ? (
            <p className="muted">Convert to see the detection rule the panel would store.</p>
          ) : (
            <JsonEditor id="sigma-result" label="Converted rule" value={JSON.stringify(converted, null, 2)} />
          )}
        </div>
      </div>
    </section>
  );
}
