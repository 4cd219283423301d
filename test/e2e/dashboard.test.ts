/**
 * The operator dashboard in a real browser (issue 13): Debian's Chromium,
 * driven by playwright-core, against a real panel on its HTTPS operator
 * listener with a simulated fleet of six devices that enroll over EST, keep
 * their push channels open and acknowledge policies. Every page is watched
 * for CSP violations and script errors; screenshots of the main pages are
 * written to test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  launchChromium,
  skipUnlessChromium,
  startTestPanel,
  TEST_ADMIN_PASSWORD,
  type TestBrowser,
  type TestPanel,
} from '@palisade/testkit';
import type { Page } from 'playwright-core';
import { type DemoFleet, startDemoFleet } from '../../packages/cli/src/demo-fleet.ts';
import { until } from './agent-harness.ts';
import { buildDashboardIfStale, logIn, newContext, PageProblems, screenshot } from './dashboard-browser.ts';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const DEVICES = 6;
const RULE = {
  id: 'e2e-operator-login-failed',
  title: 'Failed operator login (e2e)',
  enabled: true,
  severity: 8,
  controls: ['SI-3'],
  match: { field: 'type', op: 'eq', value: 'operator.login_failed' },
  detect: { kind: 'match' },
  suppressSeconds: 0,
  actions: [{ type: 'alert' }],
};

describe('operator dashboard in Chromium', { skip: skipUnlessChromium() }, () => {
  let t: TestPanel;
  let fleet: DemoFleet | undefined;
  let browser: TestBrowser;
  let base: string;
  let admin: Page;
  let adminToken: string;
  let alertId: string | undefined;
  const problems = new PageProblems();

  const api = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const response = await t.inject(method, url, {
      token: adminToken,
      ...(body === undefined ? {} : { body }),
    });
    assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json() as T;
  };

  before(async () => {
    buildDashboardIfStale();
    t = await startTestPanel({ heartbeatSeconds: 5 });
    base = t.panel.facts.operatorUrl;
    adminToken = await t.adminToken();
    fleet = await startDemoFleet(t.panel, DEVICES);
    browser = await launchChromium();
    await until('the demo devices online with their policies applied', async () => {
      const applied = await t.panel.services.db.query<{ n: number }>(
        "SELECT count(DISTINCT device_id)::int AS n FROM device_policy_status WHERE state = 'applied'",
      );
      return applied.rows[0]?.n === DEVICES;
    });
    admin = problems.watch(await (await newContext(browser)).newPage());
  });

  after(async () => {
    await browser?.[Symbol.asyncDispose]();
    await fleet?.stop();
    await t?.[Symbol.asyncDispose]();
  });

  it('serves the app at any app path under the strict CSP, with no inline script or style', async () => {
    const response = await admin.goto(`${base}/devices/demo-plant-a-01`);
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['content-security-policy'], CSP);
    assert.equal(response?.headers()['x-frame-options'], 'DENY');
    const html = (await response?.text()) ?? '';
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
    assert.doesNotMatch(html, /<style|\sstyle=/, 'no inline style');
    const api404 = await admin.request.get(`${base}/v1/no-such-route`);
    assert.equal(api404.status(), 404);
    assert.equal((await api404.json()).code, 'ROUTE_NOT_FOUND');
  });

  it('logs in with a one-time password, forces its change, then shows the fleet', async () => {
    const created = await api<{ oneTimePassword: string }>('POST', '/v1/operators', {
      username: 'olivia',
      role: 'operator',
    });
    const page = problems.watch(await (await newContext(browser)).newPage());
    await logIn(page, base, 'olivia', created.oneTimePassword);
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'no app before the change');
    // A mistyped one-time password is a 401 too, but not a lost session: the form stays and says so.
    await page.getByLabel('One-time password').fill('not-the-one-time-password');
    await page.getByLabel('New password', { exact: true }).fill('Kestrel-harbour-7-lanterns');
    await page.getByLabel('New password again').fill('Kestrel-harbour-7-lanterns');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The current password is wrong.').waitFor();
    await page.getByLabel('One-time password').fill(created.oneTimePassword);
    await page.getByLabel('New password', { exact: true }).fill('Kestrel-harbour-7-lanterns');
    await page.getByLabel('New password again').fill('Kestrel-harbour-7-lanterns');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
    const operators = await api<{ operators: Array<{ username: string; mustChangePassword: boolean }> }>(
      'GET',
      '/v1/operators',
    );
    assert.equal(operators.operators.find((o) => o.username === 'olivia')?.mustChangePassword, false);
    await page.context().close();
  });

  it('shows the fleet overview: devices by state, presence, groups, alerts, rollouts, events', async () => {
    await logIn(admin, base, 'admin', TEST_ADMIN_PASSWORD);
    await admin.getByRole('heading', { name: 'Fleet overview' }).waitFor();
    const byState = admin.getByRole('list', { name: 'Devices by state' });
    await byState.getByText(String(DEVICES), { exact: true }).waitFor();
    await admin.getByRole('img', { name: new RegExp(`online ${DEVICES}, offline 0`) }).waitFor();
    await admin.getByRole('cell', { name: 'substation-7' }).waitFor();
    await admin.getByRole('img', { name: /Security events, last hour/ }).waitFor();
    await screenshot(admin, 'overview', { fullPage: true });
  });

  it('finds a device by search and keyboard, and reads its identity, presence and policies', async () => {
    const { certificates } = await api<{ certificates: Array<{ serial: string; revokedAt: string | null }> }>(
      'GET',
      '/v1/devices/demo-substation-7-02',
    );
    await admin.getByRole('link', { name: 'Devices' }).click();
    await admin.getByRole('grid', { name: 'Devices' }).getByRole('row').nth(DEVICES).waitFor();
    await screenshot(admin, 'devices');
    await admin.getByLabel('Search').fill('substation-7-02');
    await admin.getByText(`1 of ${DEVICES} devices`).waitFor();
    // Keyboard only: the table is one tab stop; the first row is active on focus, Enter opens it.
    await admin.getByRole('grid', { name: 'Devices' }).focus();
    await admin.keyboard.press('Enter');
    await admin.getByRole('heading', { name: 'demo-substation-7-02' }).waitFor();
    assert.match(admin.url(), /\/devices\/demo-substation-7-02$/);
    const current = certificates.find((c) => c.revokedAt === null);
    assert.ok(current);
    await admin.locator(`[data-serial="${current.serial}"]`).getByText('valid').waitFor();
    await admin
      .getByRole('region', { name: 'Presence and root of trust' })
      .getByText('online')
      .first()
      .waitFor();
    await admin.locator('[data-kind="crypto"]').getByText('in sync').waitFor();
    await admin.locator('[data-kind="firewall"]').getByText('in sync').waitFor();
    // A fresh simulated device may not have sent an event yet: the timeline shows its list or says so.
    await admin
      .getByRole('region', { name: 'Event timeline' })
      .getByRole('list', { name: 'Events of this device' })
      .or(admin.getByRole('region', { name: 'Event timeline' }).getByText('No events.'))
      .waitFor();
    await screenshot(admin, 'device-detail', { fullPage: true });
  });

  it('refuses an invalid policy by JSON pointer, then publishes in phases and watches the rollout reach 100 %', async () => {
    const { policies } = await api<{ policies: Array<{ id: string; name: string; latestVersion: number }> }>(
      'GET',
      '/v1/policies',
    );
    const baseline = policies.find((p) => p.name === 'demo-baseline');
    assert.ok(baseline);
    await admin.getByRole('link', { name: 'Policies' }).click();
    await admin.getByRole('link', { name: 'demo-baseline' }).first().click();
    await admin.getByRole('link', { name: 'Edit and publish a new version' }).click();
    const editor = admin.getByLabel('Policy document (JSON)');
    await until('the current document in the editor', async () =>
      (await editor.inputValue()).includes('minRsaBits'),
    );
    const document = JSON.parse(await editor.inputValue()) as {
      tls: { minVersion: string };
      keys: { minRsaBits: number };
    };

    await editor.fill(
      JSON.stringify({ ...document, tls: { ...document.tls, minVersion: 'TLSv1.0' } }, null, 2),
    );
    await admin.getByRole('button', { name: 'Preview' }).click();
    const refused = admin.getByRole('list', { name: 'Problems by JSON pointer' });
    await refused.getByText('/tls/minVersion').waitFor();
    const line = (await editor.inputValue()).split('\n').findIndex((l) => l.includes('"minVersion"')) + 1;
    assert.match(
      (await refused.textContent()) ?? '',
      new RegExp(`line ${line}\\s*/tls/minVersion must be one of TLSv1\\.2, TLSv1\\.3`),
    );

    await editor.fill(JSON.stringify({ ...document, keys: { ...document.keys, minRsaBits: 3072 } }, null, 2));
    await admin.getByRole('button', { name: 'Preview' }).click();
    // How many devices: the fleet, plus any device an earlier step registered; the page says which.
    await admin.getByText(/Valid\. Publishing would reach \d+ device\(s\)/).waitFor({ timeout: 60_000 });
    await admin.getByLabel('Phases (cumulative % of devices)').fill('50, 100');
    await admin.getByLabel('Soak time per phase (seconds)').fill('0');
    await admin.getByRole('button', { name: 'Publish' }).click();

    const version = baseline.latestVersion + 1;
    await admin.getByRole('heading', { name: 'demo-baseline' }).waitFor();
    const rollout = admin.locator('[data-rollout]').first();
    await rollout.getByText(`v${version}`).waitFor();
    await screenshot(admin, 'policy-rollout-running');
    await rollout.getByText('completed').waitFor({ timeout: 45_000 });
    assert.match((await rollout.textContent()) ?? '', new RegExp(`100 % applied · ${DEVICES}/${DEVICES}`));
    const id = await rollout.getAttribute('data-rollout');
    const progress = await api<{ status: string; applied: number; devices: number; phases: number[] }>(
      'GET',
      `/v1/policy-rollouts/${id}`,
    );
    assert.deepEqual(
      {
        status: progress.status,
        applied: progress.applied,
        devices: progress.devices,
        phases: progress.phases,
      },
      { status: 'completed', applied: DEVICES, devices: DEVICES, phases: [50, 100] },
    );
    await screenshot(admin, 'policy-detail');
  });

  it('creates a rule (refused first by pointer), shows its alert the moment it is raised, and acknowledges it', async () => {
    await admin.getByRole('link', { name: 'Detection rules' }).click();
    await admin.getByRole('link', { name: 'New rule' }).click();
    const editor = admin.getByLabel('Rule document (JSON)');
    await editor.fill(JSON.stringify({ ...RULE, severity: 11 }, null, 2));
    await admin.getByRole('button', { name: 'Create rule' }).click();
    await admin.getByRole('list', { name: 'Problems by JSON pointer' }).getByText('/severity').waitFor();
    await editor.fill(JSON.stringify(RULE, null, 2));
    await admin.getByRole('button', { name: 'Create rule' }).click();
    await admin.getByRole('heading', { name: RULE.title }).waitFor();

    await admin.getByRole('link', { name: 'Alerts' }).click();
    await admin.getByRole('heading', { name: 'Alerts' }).waitFor();
    assert.equal(await admin.getByRole('link', { name: RULE.title }).count(), 0);
    // A refused login is a panel event the rule matches. The alerts page does not poll: the row can
    // only appear because the live stream announced alert.raised.
    const login = await t.inject('POST', '/v1/auth/login', {
      body: { username: 'mallory', password: 'not-the-password', mode: 'token' },
    });
    assert.equal(login.statusCode, 401);
    await admin.getByRole('link', { name: RULE.title }).first().waitFor({ timeout: 20_000 });
    await screenshot(admin, 'alerts');
    await admin.getByRole('link', { name: RULE.title }).first().click();
    await admin.getByRole('list', { name: 'Triggering events' }).getByText('operator.login_failed').waitFor();
    alertId = admin.url().split('/').at(-1);
    await admin.getByRole('button', { name: 'Acknowledge' }).click();
    await admin.getByLabel('Note (optional, audited)').fill('mallory is a test; nothing to see');
    await admin.getByRole('dialog').getByRole('button', { name: 'Acknowledge' }).click();
    await admin
      .getByText(/by operator:admin|by admin/)
      .first()
      .waitFor();
    const alert = await api<{ status: string; acknowledgedBy: string; note: string }>(
      'GET',
      `/v1/alerts/${alertId}`,
    );
    assert.equal(alert.status, 'acknowledged');
    assert.match(alert.acknowledgedBy, /admin/);
    assert.equal(alert.note, 'mallory is a test; nothing to see');
    await screenshot(admin, 'alert-detail');
  });

  it('reconnects the live stream after it drops and fills the gap with a search, showing each event once', async () => {
    await admin.goto(`${base}/events?type=operator.login_failed`);
    await admin.getByText('Live', { exact: true }).waitFor();
    // The stream drops (a proxy restart, a replica going away) and cannot come back for a while.
    await admin.route('**/v1/events/stream*', (route) => route.abort());
    t.app.server.closeAllConnections();
    await admin.getByText('Reconnecting…', { exact: true }).waitFor();
    const refused = await t.inject('POST', '/v1/auth/login', {
      body: { username: 'gap-filler', password: 'not-the-password', mode: 'token' },
    });
    assert.equal(refused.statusCode, 401);
    const missed = await until('the refused login stored as an event', async () => {
      const page = await api<{ events: Array<{ id: string }> }>(
        'GET',
        '/v1/events?type=operator.login_failed&limit=1',
      );
      return page.events[0]?.id;
    });
    await admin.unroute('**/v1/events/stream*');
    await admin.getByText('Live', { exact: true }).waitFor({ timeout: 20_000 });
    await admin.locator(`[data-event="${missed}"]`).waitFor({ timeout: 10_000 });
    assert.equal(await admin.locator(`[data-event="${missed}"]`).count(), 1);
  });

  it('revokes a device certificate with an RFC 5280 reason', async () => {
    await admin.goto(`${base}/devices/demo-plant-a-03`);
    await admin.getByRole('button', { name: 'Revoke…' }).click();
    await admin.getByLabel('Reason (RFC 5280)').selectOption('keyCompromise');
    await admin.getByRole('dialog').getByRole('button', { name: 'Revoke certificates' }).click();
    await admin.getByText(/Revoked: the CRL and OCSP answer it now/).waitFor();
    const detail = await api<{
      device: { state: string };
      certificates: Array<{ revokedAt: string | null; revocationReason: string | null }>;
    }>('GET', '/v1/devices/demo-plant-a-03');
    assert.equal(detail.device.state, 'revoked');
    assert.ok(detail.certificates.length > 0);
    for (const certificate of detail.certificates)
      assert.equal(certificate.revocationReason, 'keyCompromise');
    await admin.getByText('keyCompromise', { exact: false }).first().waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Revoke…' }).count(), 0, 'nothing left to revoke');
  });

  it('shows the enrollment, operators and audit pages, with the audit chain verified', async () => {
    await admin.getByRole('link', { name: 'Enrollment & PKI' }).click();
    await admin.getByRole('heading', { name: 'Groups' }).waitFor();
    await screenshot(admin, 'enrollment');
    await admin.getByRole('link', { name: 'Operators' }).click();
    await admin.locator('[data-operator="olivia"]').waitFor();
    await admin.getByRole('link', { name: 'Audit log' }).click();
    await admin.locator('[data-audit-chain="ok"]').waitFor();
    await admin.getByRole('cell', { name: 'device.revoke' }).first().waitFor();
    await screenshot(admin, 'audit');
  });

  it('shows a viewer no action it cannot use, refuses the pages it cannot reach, and sends it back to login when the session ends', async () => {
    await t.operatorToken('vera', 'viewer');
    const viewerProblems = new PageProblems();
    const page = viewerProblems.watch(problems.watch(await (await newContext(browser)).newPage()));
    await logIn(page, base, 'vera', 'viewer-Passw0rd-for-tests');
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Operators' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Audit log' }).count(), 0);

    await page.goto(`${base}/devices/demo-substation-7-01`);
    await page.getByRole('heading', { name: 'Identity' }).waitFor();
    for (const name of ['Revoke…', 'Decommission…', 'Enrollment token', 'Check in now', 'Set tags'])
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} for a viewer`);

    await nav.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('heading', { name: 'Assignments' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'New policy' }).count(), 0);
    assert.equal(
      await page.getByRole('button', { name: /Remove|Preview assignment|Pause|Cancel rollout/ }).count(),
      0,
    );

    await nav.getByRole('link', { name: 'Detection rules' }).click();
    await page.getByRole('link', { name: RULE.title }).click();
    assert.equal(await page.getByLabel('Rule document (JSON)').getAttribute('readonly'), '');
    assert.equal(await page.getByRole('button', { name: /Save new version|Delete/ }).count(), 0);

    assert.ok(alertId);
    await page.goto(`${base}/alerts/${alertId}`);
    await page.getByRole('heading', { name: 'Lifecycle' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Acknowledge|Resolve/ }).count(), 0);

    for (const path of ['/operators', '/audit', '/policies/new', '/rules/new']) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { name: 'Not available' }).waitFor();
    }
    assert.deepEqual(
      viewerProblems.forbidden,
      [],
      'the viewer’s dashboard never called a route its role lacks',
    );

    // The session ends (expired, or ended elsewhere): the next request is a 401, and the app says so.
    await page.context().clearCookies();
    await nav.getByRole('link', { name: 'Devices' }).click();
    await page.getByText('Your session has ended').waitFor();
    await page.getByLabel('User name').waitFor();
    await page.context().close();
  });

  it('stays usable at tablet width', async () => {
    await admin.setViewportSize({ width: 820, height: 1180 });
    await admin.goto(`${base}/`);
    await admin.getByRole('heading', { name: 'Fleet overview' }).waitFor();
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await admin.getByRole('grid', { name: 'Devices' }).getByRole('row').nth(2).waitFor();
    await screenshot(admin, 'devices-tablet');
    await admin.setViewportSize({ width: 1280, height: 800 });
  });

  it('raised no CSP violation and no script error on any page', () => {
    assert.deepEqual(problems.csp, []);
    assert.deepEqual(problems.errors, []);
  });
});
