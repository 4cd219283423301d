import type { ReactNode } from 'react';
import { api } from '../../api/api-client.ts';
import type { StoredRule } from '../../api/api-types.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../session/session.tsx';
import { SeverityBadge } from '../../ui/badges.tsx';
import { Empty, ErrorNote, Loading } from '../../ui/feedback.tsx';
import { formatAgo, formatTime } from '../../ui/format.ts';
import { useApi } from '../../ui/use-api.ts';

function detectText(detect: unknown): string {
  if (typeof detect !== 'object' || detect === null) return '—';
  const d = detect as Record<string, unknown>;
  switch (d.kind) {
    case 'threshold':
      return `${String(d.count)} in ${String(d.windowSeconds)} s per ${String(d.per)}`;
    case 'sequence':
      return `sequence of ${Array.isArray(d.steps) ? d.steps.length : '?'} within ${String(d.withinSeconds)} s`;
    case 'spread':
      return `${String(d.devices)} devices in ${String(d.windowSeconds)} s`;
    default:
      return String(d.kind ?? '—');
  }
}

/** Detection rules (SI-2): what counts as an attack, versioned; rules:manage edits them. */
export default function RulesPage(): ReactNode {
  const { can } = useSession();
  const rules = useApi('rules', () => api.get<{ rules: StoredRule[] }>('/v1/rules'));
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Detection rules</h1>
          <p className="subtitle">Evaluated on every security event; each save is a new version.</p>
        </div>
        {can('rules:manage') ? (
          <div className="actions">
            <Link to="/rules/new">New rule</Link>
            <Link to="/rules/import-sigma">Import a Sigma rule</Link>
          </div>
        ) : null}
      </div>
      <ErrorNote error={rules.error} />
      {!rules.data ? (
        rules.error ? null : (
          <Loading what="rules" />
        )
      ) : rules.data.rules.length === 0 ? (
        <Empty>No detection rules yet.</Empty>
      ) : (
        <div className="table-wrap card">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Severity</th>
                <th scope="col">Detects</th>
                <th scope="col">Enabled</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.rules.map((rule) => (
                <tr key={rule.id} data-rule={rule.id}>
                  <td>
                    <Link to={`/rules/${rule.id}`}>{String(rule.document.title ?? rule.id)}</Link>
                    <div className="hint mono">{rule.id}</div>
                  </td>
                  <td>
                    {typeof rule.document.severity === 'number' ? (
                      <SeverityBadge severity={rule.document.severity} />
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{detectText(rule.document.detect)}</td>
                  <td>{rule.document.enabled === false ? 'no' : 'yes'}</td>
                  <td title={formatTime(rule.updatedAt)}>
                    v{rule.version}
                    <div className="hint">
                      {rule.updatedBy}, {formatAgo(rule.updatedAt)}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
