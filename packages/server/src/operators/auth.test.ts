import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';

function sessionCookie(setCookie: string | string[] | undefined): string {
  const header = [setCookie ?? []].flat().find((c) => c.startsWith('__Host-palisade_session='));
  assert.ok(header, 'no session cookie set');
  return header;
}

/** A clock tests can move: lockouts, idle timeouts and token expiry without sleeping. */
function testClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance: (seconds: number) => {
      offsetMs += seconds * 1000;
    },
  };
}

describe('operator authentication', () => {
  describe('cookie sessions', () => {
    it('sets an HttpOnly, Secure, SameSite=Strict host-only cookie and returns a CSRF token, not the session', async () => {
      await using t = await startTestPanel();
      const response = await t.inject('POST', '/v1/auth/login', {
        body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
      });
      assert.equal(response.statusCode, 200);
      const cookie = sessionCookie(response.headers['set-cookie']);
      for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
        assert.match(cookie, new RegExp(`; ${attribute}`));
      assert.doesNotMatch(cookie, /Domain=/);
      const body = response.json();
      assert.match(body.csrfToken, /^[0-9a-f]{64}$/);
      assert.equal(body.token, undefined);
    });

    it('requires the CSRF token on state-changing requests that ride on the cookie', async () => {
      await using t = await startTestPanel();
      const login = await t.inject('POST', '/v1/auth/login', {
        body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
      });
      const cookie = sessionCookie(login.headers['set-cookie']).split(';')[0] as string;
      const { csrfToken } = login.json();
      const body = { username: 'csrf-victim', role: 'viewer' };

      assert.equal((await t.inject('GET', '/v1/operators', { headers: { cookie } })).statusCode, 200);
      const missing = await t.inject('POST', '/v1/operators', { headers: { cookie }, body });
      assert.equal(missing.statusCode, 403);
      assert.equal(missing.json().code, 'CSRF_TOKEN_INVALID');
      const wrong = await t.inject('POST', '/v1/operators', {
        headers: { cookie, 'x-csrf-token': 'f'.repeat(64) },
        body,
      });
      assert.equal(wrong.json().code, 'CSRF_TOKEN_INVALID');
      assert.equal(
        (await t.panel.services.operators.list()).some((o) => o.username === 'csrf-victim'),
        false,
      );

      const good = await t.inject('POST', '/v1/operators', {
        headers: { cookie, 'x-csrf-token': csrfToken },
        body,
      });
      assert.equal(good.statusCode, 201);
    });

    it('ends after the idle timeout and after logout', async () => {
      const clock = testClock();
      await using t = await startTestPanel({ sessionIdleSeconds: 600 }, { now: clock.now });
      const token = await t.adminToken();
      assert.equal((await t.inject('GET', '/v1/auth/me', { token })).statusCode, 200);
      clock.advance(601);
      const idle = await t.inject('GET', '/v1/auth/me', { token });
      assert.equal(idle.statusCode, 401);
      assert.equal(idle.json().code, 'CREDENTIAL_EXPIRED');

      const second = await t.login('admin', TEST_ADMIN_PASSWORD);
      assert.equal((await t.inject('POST', '/v1/auth/logout', { token: second })).statusCode, 204);
      assert.equal((await t.inject('GET', '/v1/auth/me', { token: second })).json().code, 'UNAUTHENTICATED');
    });
  });

  describe('login failures', () => {
    it('answers a wrong password and an unknown user alike, and audits both', async () => {
      await using t = await startTestPanel();
      const wrong = await t.inject('POST', '/v1/auth/login', {
        body: { username: 'admin', password: 'not-the-password' },
      });
      const unknown = await t.inject('POST', '/v1/auth/login', {
        body: { username: 'ghost', password: 'not-the-password' },
      });
      assert.equal(wrong.statusCode, 401);
      assert.equal(unknown.statusCode, 401);
      assert.equal(wrong.json().detail, unknown.json().detail);
      assert.equal(wrong.json().code, 'INVALID_CREDENTIALS');
      const entries = await t.panel.services.audit.list({ limit: 10, action: 'auth.login' });
      assert.deepEqual(
        entries.map((e) => [e.actor, e.outcome, e.details.reason]),
        [
          ['anonymous:ghost', 'failure', 'unknown user'],
          ['anonymous:admin', 'failure', 'wrong password'],
        ],
      );
    });

    it('locks an account after repeated failures with 429 and Retry-After, even for the right password', async () => {
      const clock = testClock();
      await using t = await startTestPanel(
        { loginMaxFailures: 3, loginLockoutSeconds: 300 },
        { now: clock.now },
      );
      for (let i = 0; i < 3; i += 1) {
        const response = await t.inject('POST', '/v1/auth/login', {
          body: { username: 'admin', password: `wrong-${i}` },
        });
        assert.equal(response.statusCode, 401);
      }
      const locked = await t.inject('POST', '/v1/auth/login', {
        body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
      });
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.json().code, 'LOGIN_THROTTLED');
      assert.equal(locked.headers['retry-after'], '300');
      const [entry] = await t.panel.services.audit.list({ limit: 1, action: 'auth.login' });
      assert.deepEqual([entry?.outcome, entry?.details.reason], ['denied', 'account locked']);

      clock.advance(301);
      assert.equal(
        (
          await t.inject('POST', '/v1/auth/login', {
            body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
          })
        ).statusCode,
        200,
      );
    });

    it('locks names that do not exist the same way, so lockout reveals nothing', async () => {
      await using t = await startTestPanel({ loginMaxFailures: 2 });
      for (let i = 0; i < 2; i += 1)
        await t.inject('POST', '/v1/auth/login', { body: { username: 'nobody', password: 'x' } });
      assert.equal(
        (await t.inject('POST', '/v1/auth/login', { body: { username: 'nobody', password: 'x' } }))
          .statusCode,
        429,
      );
    });

    it('slows a password spray from one address across many names', async () => {
      await using t = await startTestPanel();
      const statuses: number[] = [];
      for (let i = 0; i < 31; i += 1) {
        statuses.push(
          (await t.inject('POST', '/v1/auth/login', { body: { username: `user${i}`, password: 'guess' } }))
            .statusCode,
        );
      }
      assert.deepEqual(statuses.slice(0, 30), Array(30).fill(401));
      assert.equal(statuses[30], 429);
    });
  });

  describe('one-time passwords', () => {
    it('prints the first admin one-time password once, never logs it, and forces a change', async () => {
      await using t = await startTestPanel({}, { bootstrapAdminPassword: null });
      const otp = /One-time password:\s+(\S+)/.exec(t.announced)?.[1];
      assert.ok(otp, 'no one-time password announced');
      assert.equal(t.announced.split(otp).length, 2, 'printed more than once');
      assert.equal(t.logs.text.includes(otp), false, 'one-time password reached the structured log');
      assert.equal(t.panel.facts.firstAdmin?.oneTimePassword, otp);

      const token = await t.login('admin', otp);
      const blocked = await t.inject('GET', '/v1/operators', { token });
      assert.equal(blocked.statusCode, 403);
      assert.equal(blocked.json().code, 'PASSWORD_CHANGE_REQUIRED');
      assert.equal((await t.inject('GET', '/v1/auth/me', { token })).json().mustChangePassword, true);

      const weak = await t.inject('POST', '/v1/auth/password', {
        token,
        body: { currentPassword: otp, newPassword: 'short' },
      });
      assert.equal(weak.statusCode, 400);
      assert.equal(weak.json().code, 'PASSWORD_POLICY');
      const changed = await t.inject('POST', '/v1/auth/password', {
        token,
        body: { currentPassword: otp, newPassword: 'a-much-better-secret-42' },
      });
      assert.equal(changed.statusCode, 204);
      assert.equal((await t.inject('GET', '/v1/operators', { token })).statusCode, 200);
      assert.equal(
        (await t.inject('POST', '/v1/auth/login', { body: { username: 'admin', password: otp } })).statusCode,
        401,
      );
    });

    it('ends the operator other sessions when the password changes', async () => {
      await using t = await startTestPanel();
      const first = await t.adminToken();
      const second = await t.login('admin', TEST_ADMIN_PASSWORD);
      const change = await t.inject('POST', '/v1/auth/password', {
        token: second,
        body: { currentPassword: TEST_ADMIN_PASSWORD, newPassword: 'rotated-secret-value-9' },
      });
      assert.equal(change.statusCode, 204);
      assert.equal((await t.inject('GET', '/v1/auth/me', { token: first })).statusCode, 401);
      assert.equal((await t.inject('GET', '/v1/auth/me', { token: second })).statusCode, 200);
    });

    it('generates a one-time password for an operator created without one', async () => {
      await using t = await startTestPanel();
      const created = await t.inject('POST', '/v1/operators', {
        token: await t.adminToken(),
        body: { username: 'Carol', role: 'viewer' },
      });
      assert.equal(created.statusCode, 201);
      const { operator, oneTimePassword } = created.json();
      assert.equal(operator.username, 'carol');
      assert.equal(operator.mustChangePassword, true);
      assert.match(oneTimePassword, /^[A-Za-z0-9]{20}$/);
      assert.equal(
        (await t.inject('GET', '/v1/auth/me', { token: await t.login('carol', oneTimePassword) })).json()
          .mustChangePassword,
        true,
      );
    });
  });

  describe('operators', () => {
    it('disabling an operator ends their sessions at once; the last admin cannot be disabled', async () => {
      await using t = await startTestPanel();
      const admin = await t.adminToken();
      const viewer = await t.operatorToken('dave', 'viewer');
      assert.equal((await t.inject('POST', '/v1/operators/dave/disable', { token: admin })).statusCode, 200);
      assert.equal((await t.inject('GET', '/v1/auth/me', { token: viewer })).statusCode, 401);

      const last = await t.inject('POST', '/v1/operators/admin/disable', { token: admin });
      assert.equal(last.statusCode, 409);
      assert.equal(last.json().code, 'LAST_ADMIN');
      const duplicate = await t.inject('POST', '/v1/operators', {
        token: admin,
        body: { username: 'DAVE', role: 'viewer' },
      });
      assert.equal(duplicate.json().code, 'OPERATOR_EXISTS');
    });
  });

  describe('API tokens', () => {
    it('shows the secret once, works as a bearer token within its role, and stops when revoked', async () => {
      await using t = await startTestPanel();
      const admin = await t.adminToken();
      const created = await t.inject('POST', '/v1/tokens', {
        token: admin,
        body: { name: 'ci reader', role: 'viewer' },
      });
      assert.equal(created.statusCode, 201);
      const { token, info } = created.json();
      assert.match(token, /^pls_tok_/);
      assert.equal(info.role, 'viewer');
      const listed = await t.inject('GET', '/v1/tokens', { token: admin });
      assert.equal(listed.body.includes(token.split('_').at(-1)), false, 'secret shown again');

      assert.equal((await t.inject('GET', '/v1/auth/me', { token })).json().credential, 'token');
      const forbidden = await t.inject('GET', '/v1/operators', { token });
      assert.equal(forbidden.statusCode, 403);

      assert.equal(
        (await t.inject('DELETE', `/v1/tokens/${info.id}`, { token: admin })).json().revoked,
        true,
      );
      assert.equal((await t.inject('GET', '/v1/auth/me', { token })).json().code, 'UNAUTHENTICATED');
      const audit = await t.panel.services.audit.list({ limit: 5 });
      assert.ok(audit.some((e) => e.action === 'token.revoke' && e.target === `token:${info.id}`));
    });

    it('expires', async () => {
      const clock = testClock();
      await using t = await startTestPanel({}, { now: clock.now });
      const created = await t.inject('POST', '/v1/tokens', {
        token: await t.adminToken(),
        body: { name: 'short', role: 'auditor', ttlSeconds: 60 },
      });
      const { token } = created.json();
      assert.equal((await t.inject('GET', '/v1/audit', { token })).statusCode, 200);
      clock.advance(61);
      assert.equal((await t.inject('GET', '/v1/audit', { token })).json().code, 'CREDENTIAL_EXPIRED');
    });

    it('cannot carry more power than its creator holds', async () => {
      await using t = await startTestPanel();
      const operator = await t.operatorToken('erin', 'operator');
      const escalate = await t.inject('POST', '/v1/tokens', {
        token: operator,
        body: { name: 'x', role: 'admin' },
      });
      assert.equal(escalate.statusCode, 403);
      assert.equal(escalate.json().code, 'ROLE_NOT_GRANTABLE');
      const sideways = await t.inject('POST', '/v1/tokens', {
        token: operator,
        body: { name: 'x', role: 'auditor' },
      });
      assert.equal(sideways.json().code, 'ROLE_NOT_GRANTABLE');
      assert.equal(
        (await t.inject('POST', '/v1/tokens', { token: operator, body: { name: 'x', role: 'viewer' } }))
          .statusCode,
        201,
      );
    });

    it("hides other operators' tokens from non-admins", async () => {
      await using t = await startTestPanel();
      const admin = await t.adminToken();
      const { info } = (
        await t.inject('POST', '/v1/tokens', { token: admin, body: { name: 'admin-only', role: 'viewer' } })
      ).json();
      const viewer = await t.operatorToken('frank', 'viewer');
      assert.deepEqual((await t.inject('GET', '/v1/tokens', { token: viewer })).json().tokens, []);
      const revoke = await t.inject('DELETE', `/v1/tokens/${info.id}`, { token: viewer });
      assert.equal(revoke.statusCode, 404);
      assert.equal(revoke.json().code, 'TOKEN_NOT_FOUND');
    });

    it('rejects malformed bearer credentials without revealing why', async () => {
      await using t = await startTestPanel();
      for (const authorization of [
        'Bearer ',
        'Bearer nope',
        'Basic YWRtaW46eA==',
        `Bearer pls_tok_${'0'.repeat(36)}_${'0'.repeat(64)}`,
        `Bearer pls_sess_00000000-0000-0000-0000-000000000000_${'0'.repeat(64)}`,
      ]) {
        const response = await t.inject('GET', '/v1/auth/me', { headers: { authorization } });
        assert.equal(response.statusCode, 401, authorization);
        assert.equal(response.json().detail, 'credential is malformed or unknown');
      }
    });
  });

  it('never writes passwords, session tokens or API tokens to the log', async () => {
    await using t = await startTestPanel({ logLevel: 'trace' });
    const session = await t.adminToken();
    const { token } = (
      await t.inject('POST', '/v1/tokens', { token: session, body: { name: 'n', role: 'viewer' } })
    ).json();
    await t.inject('GET', '/v1/auth/me', { token });
    await t.inject('POST', '/v1/auth/login', {
      body: { username: 'admin', password: 'wrong-password-here' },
    });
    for (const secret of [
      TEST_ADMIN_PASSWORD,
      session,
      token,
      'wrong-password-here',
      'test-passphrase-0123456789',
    ]) {
      assert.equal(t.logs.text.includes(secret), false, `a secret reached the log: ${secret.slice(0, 12)}…`);
    }
    assert.ok(t.logs.lines.length > 5, 'the log captured nothing, so this test would prove nothing');
  });
});

describe('API token verification cache', () => {
  it('stops honouring a token at once when its owner is disabled or it is revoked, despite the cache', async () => {
    await using t = await startTestPanel();
    const admin = await t.adminToken();
    const viewer = await t.operatorToken('gina', 'viewer');
    const { token } = (
      await t.inject('POST', '/v1/tokens', { token: viewer, body: { name: 'cached', role: 'viewer' } })
    ).json();
    assert.equal((await t.inject('GET', '/v1/auth/me', { token })).statusCode, 200);
    assert.equal((await t.inject('GET', '/v1/auth/me', { token })).statusCode, 200);
    assert.equal((await t.inject('POST', '/v1/operators/gina/disable', { token: admin })).statusCode, 200);
    assert.equal((await t.inject('GET', '/v1/auth/me', { token })).statusCode, 401);

    const second = (
      await t.inject('POST', '/v1/tokens', { token: admin, body: { name: 'cached-2', role: 'viewer' } })
    ).json();
    assert.equal((await t.inject('GET', '/v1/auth/me', { token: second.token })).statusCode, 200);
    await t.inject('DELETE', `/v1/tokens/${second.info.id}`, { token: admin });
    assert.equal((await t.inject('GET', '/v1/auth/me', { token: second.token })).statusCode, 401);
  });
});
