import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OPERATOR_ROLES, type OperatorRole } from '@palisade/core';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import { type RouteAccess, roleAllows } from './permissions.ts';

/**
 * The reviewed access of every operator route. A route added without an entry
 * here, or whose declared access drifts from it, fails this suite: changing
 * who may do what is a decision someone must make on purpose.
 */
const EXPECTED_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /v1/openapi.json': 'public',
  // The dashboard (packages/server/src/dashboard): the app's files hold no data, hidden from OpenAPI.
  'GET /': 'public',
  'GET /assets/*': 'public',
  'GET /*': 'public',
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/logout': 'authenticated',
  'GET /v1/auth/me': 'authenticated',
  'POST /v1/auth/password': 'authenticated',
  'GET /v1/operators': 'operators:read',
  'POST /v1/operators': 'operators:manage',
  'POST /v1/operators/:username/disable': 'operators:manage',
  'POST /v1/operators/:username/enable': 'operators:manage',
  'POST /v1/operators/:username/reset-password': 'operators:manage',
  'GET /v1/tokens': 'authenticated',
  'POST /v1/tokens': 'authenticated',
  'DELETE /v1/tokens/:id': 'authenticated',
  'GET /v1/audit': 'audit:read',
  'GET /v1/audit/verify': 'audit:read',
  'GET /v1/devices': 'fleet:read',
  'POST /v1/devices': 'fleet:manage',
  'POST /v1/devices/claims': 'fleet:manage',
  'GET /v1/devices/:id': 'fleet:read',
  'POST /v1/devices/:id/enrollment-token': 'fleet:manage',
  'POST /v1/devices/:id/revoke': 'fleet:manage',
  'POST /v1/devices/:id/decommission': 'fleet:manage',
  'GET /v1/devices/:id/presence': 'fleet:read',
  'GET /v1/devices/:id/inventory': 'fleet:read',
  'GET /v1/devices/:id/reports': 'fleet:read',
  'POST /v1/devices/:id/refresh': 'fleet:manage',
  'POST /v1/devices/:id/renew-certificate': 'fleet:manage',
  'POST /v1/devices/:id/attest': 'fleet:manage',
  'GET /v1/devices/:id/attestation': 'fleet:read',
  'POST /v1/devices/:id/attestation/record-golden': 'attestation:manage',
  'GET /v1/groups/:name/reference-values': 'fleet:read',
  'PUT /v1/groups/:name/reference-values': 'attestation:manage',
  'GET /v1/groups/:name/attestation-profile': 'fleet:read',
  'PUT /v1/groups/:name/attestation-profile': 'attestation:manage',
  'GET /v1/attestation/tpm-cas': 'fleet:read',
  'POST /v1/attestation/tpm-cas': 'attestation:manage',
  // Compliance: reading the fleet's state; generating a report stores and audits it, but changes nothing.
  'GET /v1/compliance/devices/:id': 'fleet:read',
  'GET /v1/compliance/groups/:name': 'fleet:read',
  'GET /v1/compliance/fleet': 'fleet:read',
  'GET /v1/compliance/report': 'fleet:read',
  'GET /v1/compliance/reports/:id': 'fleet:read',
  'GET /v1/compliance/reports/:id/signature': 'fleet:read',
  'GET /v1/siem/exporters': 'siem:read',
  'POST /v1/siem/exporters': 'siem:manage',
  'DELETE /v1/siem/exporters/:name': 'siem:manage',
  'GET /v1/events': 'events:read',
  'GET /v1/events/stream': 'events:read',
  'GET /v1/rules': 'events:read',
  'POST /v1/rules': 'rules:manage',
  'POST /v1/rules/sigma': 'rules:manage',
  'GET /v1/rules/:id': 'events:read',
  'PUT /v1/rules/:id': 'rules:manage',
  'DELETE /v1/rules/:id': 'rules:manage',
  'GET /v1/rules/:id/versions': 'events:read',
  'GET /v1/alerts': 'events:read',
  'GET /v1/alerts/:id': 'events:read',
  'POST /v1/alerts/:id/acknowledge': 'alerts:manage',
  'POST /v1/alerts/:id/resolve': 'alerts:manage',
  'GET /v1/policies/schemas/:kind': 'fleet:read',
  'GET /v1/policy-trust': 'fleet:read',
  'GET /v1/policies': 'fleet:read',
  'POST /v1/policies': 'policies:manage',
  'GET /v1/policies/:id': 'fleet:read',
  'GET /v1/policies/:id/versions/:version': 'fleet:read',
  'GET /v1/policies/:id/versions/:version/reports': 'fleet:read',
  'POST /v1/policies/:id/versions': 'policies:manage',
  'POST /v1/policies/:id/preview': 'fleet:read',
  'GET /v1/policy-assignments': 'fleet:read',
  'PUT /v1/policy-assignments': 'policies:manage',
  'PUT /v1/devices/:id/tags': 'fleet:manage',
  'GET /v1/devices/:id/effective-policy': 'fleet:read',
  'GET /v1/policy-rollouts': 'fleet:read',
  'GET /v1/policy-rollouts/:id': 'fleet:read',
  'POST /v1/policy-rollouts/:id/pause': 'policies:manage',
  'POST /v1/policy-rollouts/:id/resume': 'policies:manage',
  'POST /v1/policy-rollouts/:id/cancel': 'policies:manage',
  'GET /v1/groups': 'fleet:read',
  'PUT /v1/groups/:name': 'fleet:manage',
  'GET /v1/manufacturers': 'fleet:read',
  'POST /v1/manufacturers': 'pki:manage',
  'GET /v1/enrollments': 'fleet:read',
  'POST /v1/enrollments/:id/approve': 'fleet:manage',
  'POST /v1/enrollments/:id/reject': 'fleet:manage',
};

/**
 * Routes that answer with a stream that stays open: the walk sends them an
 * invalid query, so an allowed role gets 400 (past the permission check)
 * instead of a stream that never ends.
 */
const STREAMING = new Set(['/v1/events/stream']);

/** Routes declared with `schema: { hide: true }`: the document itself and the dashboard's files. */
const HIDDEN_FROM_OPENAPI = new Set(['/v1/openapi.json', '/', '/assets/*', '/*']);

/** The least a request needs to get past authentication; bodies are deliberately incomplete. */
function concrete(url: string): string {
  if (STREAMING.has(url)) return `${url}?minSeverity=99`;
  return url
    .replace(':username', 'nobody-here')
    .replace(':kind', 'firewall')
    .replace(':version', '1')
    .replace(':name', 'no-such-group')
    .replace(
      ':id',
      url.includes('/devices/') ? 'no-such-device' : url.includes('/rules/') ? 'no-such-rule' : randomUUID(),
    );
}

describe('operator route permissions', () => {
  let t: TestPanel;
  const tokens = new Map<OperatorRole, string>();

  before(async () => {
    t = await startTestPanel();
    for (const role of OPERATOR_ROLES) tokens.set(role, await t.operatorToken(`matrix-${role}`, role));
  });
  after(() => t[Symbol.asyncDispose]());

  it('declares an access level for every route, matching the reviewed table', () => {
    const declared = Object.fromEntries(t.app.operatorRoutes.map((r) => [`${r.method} ${r.url}`, r.access]));
    assert.deepEqual(declared, EXPECTED_ACCESS);
  });

  it('refuses every non-public route without a credential: 401 problem and an audit entry', async () => {
    for (const route of t.app.operatorRoutes.filter((r) => r.access !== 'public')) {
      const response = await t.inject(route.method, concrete(route.url));
      assert.equal(response.statusCode, 401, `${route.method} ${route.url}`);
      assert.equal(response.json().code, 'UNAUTHENTICATED');
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="palisade"');
    }
    const audit = await t.panel.services.audit.list({ limit: 1000, action: 'auth.access' });
    const refused = new Set(audit.filter((e) => e.outcome === 'failure').map((e) => e.target));
    for (const route of t.app.operatorRoutes.filter((r) => r.access !== 'public')) {
      assert.ok(
        refused.has(`route:${route.method} ${route.url}`),
        `no audit entry for ${route.method} ${route.url}`,
      );
    }
  });

  for (const role of OPERATOR_ROLES) {
    it(`allows and denies each route for role ${role} exactly as the permission table says`, async () => {
      const token = tokens.get(role) as string;
      for (const route of t.app.operatorRoutes) {
        // Logging out would end the session the rest of the walk uses.
        if (route.url === '/v1/auth/logout') continue;
        const response = await t.inject(route.method, concrete(route.url), {
          token,
          body: route.method === 'GET' ? undefined : {},
        });
        const label = `${role}: ${route.method} ${route.url} -> ${response.statusCode} ${response.body.slice(0, 120)}`;
        if (roleAllows(role, route.access)) {
          assert.ok(![401, 403].includes(response.statusCode), label);
        } else {
          assert.equal(response.statusCode, 403, label);
          assert.equal(response.json().code, 'FORBIDDEN', label);
        }
      }
    });
  }

  it('audits each denial with the actor and the route', async () => {
    await t.inject('GET', '/v1/audit', { token: tokens.get('viewer') as string });
    const [entry] = await t.panel.services.audit.list({
      limit: 1,
      action: 'auth.access',
      actor: 'operator:matrix-viewer',
    });
    assert.equal(entry?.outcome, 'denied');
    assert.equal(entry?.target, 'route:GET /v1/audit');
    assert.deepEqual(entry?.details, { code: 'FORBIDDEN' });
  });

  it('lists every non-hidden route in the OpenAPI document', async () => {
    const response = await t.inject('GET', '/v1/openapi.json');
    assert.equal(response.statusCode, 200);
    const document = response.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(document.openapi, /^3\./);
    for (const route of t.app.operatorRoutes) {
      if (HIDDEN_FROM_OPENAPI.has(route.url)) continue;
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      assert.ok(
        document.paths[path]?.[route.method.toLowerCase()],
        `${route.method} ${path} missing from OpenAPI`,
      );
    }
  });
});
