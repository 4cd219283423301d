import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import fc from 'fast-check';

/**
 * Bad input gets a precise problem document, changes nothing, and is logged
 * as a security event. Each case posts to an operator-creating route so that
 * "changes nothing" can be checked by counting operators and audit entries.
 */
describe('bad input on the operator API', () => {
  let t: TestPanel;
  let token: string;

  before(async () => {
    t = await startTestPanel({ bodyLimit: 64 * 1024 });
    token = await t.adminToken();
  });
  after(() => t[Symbol.asyncDispose]());

  async function stateSnapshot() {
    const operators = (await t.panel.services.operators.list()).length;
    const audit = (await t.panel.services.audit.list({ limit: 1000 })).filter(
      (e) => e.action !== 'auth.access',
    ).length;
    return { operators, audit };
  }

  async function expectRejected(
    request: { payload: string | Buffer; contentType?: string },
    expected: { status: number; code: string },
  ) {
    const before = await stateSnapshot();
    const logLinesBefore = t.logs.lines.length;
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/operators',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': request.contentType ?? 'application/json',
      },
      payload: request.payload,
    });
    assert.equal(response.statusCode, expected.status, response.body);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const problem = response.json();
    assert.equal(problem.code, expected.code);
    assert.equal(problem.status, expected.status);
    assert.match(problem.instance, /^urn:palisade:request:/);
    assert.deepEqual(await stateSnapshot(), before, 'the rejected request changed state');
    const event = t.logs
      .records()
      .slice(logLinesBefore)
      .find((r) => r.securityEvent === true);
    assert.equal(event?.code, expected.code, 'no security event logged');
    return problem;
  }

  it('malformed JSON: 400 MALFORMED_JSON', async () => {
    await expectRejected({ payload: '{"username": "x", ' }, { status: 400, code: 'MALFORMED_JSON' });
  });

  it('an empty JSON body: 400 MALFORMED_JSON', async () => {
    await expectRejected({ payload: '' }, { status: 400, code: 'MALFORMED_JSON' });
  });

  it('wrong content type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    await expectRejected(
      { payload: 'username=x&role=admin', contentType: 'application/x-www-form-urlencoded' },
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    );
    await expectRejected(
      { payload: '{"username":"x","role":"admin"}', contentType: 'text/plain' },
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    );
  });

  it('unknown fields are named, not silently dropped', async () => {
    const problem = await expectRejected(
      { payload: JSON.stringify({ username: 'mallory', role: 'viewer', isSuperuser: true }) },
      { status: 400, code: 'VALIDATION_FAILED' },
    );
    assert.deepEqual(problem.errors, [{ path: '/body/isSuperuser', message: 'is not an allowed field' }]);
  });

  it('every failing field is named at once', async () => {
    const problem = await expectRejected(
      { payload: JSON.stringify({ username: '-bad name', role: 'root' }) },
      { status: 400, code: 'VALIDATION_FAILED' },
    );
    const paths = (problem.errors as Array<{ path: string }>).map((e) => e.path).sort();
    assert.deepEqual(paths, ['/body/role', '/body/username']);
  });

  it('an oversized body: 413 BODY_TOO_LARGE', async () => {
    const payload = JSON.stringify({ username: 'big', role: 'viewer', password: 'x'.repeat(70 * 1024) });
    await expectRejected({ payload }, { status: 413, code: 'BODY_TOO_LARGE' });
  });

  it('prototype pollution through __proto__ or constructor.prototype: 400, and no object is polluted', async () => {
    await expectRejected(
      { payload: '{"username":"proto","role":"viewer","__proto__":{"polluted":true}}' },
      { status: 400, code: 'MALFORMED_JSON' },
    );
    await expectRejected(
      { payload: '{"username":"ctor","role":"viewer","constructor":{"prototype":{"polluted":true}}}' },
      { status: 400, code: 'MALFORMED_JSON' },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('an unknown route: 404 ROUTE_NOT_FOUND problem', async () => {
    const response = await t.inject('GET', '/v1/nothing-here', { token });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'ROUTE_NOT_FOUND');
  });

  it('a query parameter out of range is a 400 naming it', async () => {
    const response = await t.inject('GET', '/v1/audit?limit=100000', { token });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().errors, [{ path: '/querystring/limit', message: 'must be <= 1000' }]);
  });

  it('never answers arbitrary JSON bodies with a server error (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const response = await t.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify(value),
        });
        // Any body the schema happens to accept creates a token (201); everything else is a 400.
        assert.ok(
          [201, 400].includes(response.statusCode),
          `${response.statusCode} for ${JSON.stringify(value)}`,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('hides internals behind a 500 INTERNAL problem', async () => {
    await using broken = await startTestPanel();
    const admin = await broken.adminToken();
    await broken.panel.services.db.exec('ALTER TABLE audit_log RENAME TO audit_log_gone');
    const response = await broken.inject('GET', '/v1/audit', { token: admin });
    assert.equal(response.statusCode, 500);
    const problem = response.json();
    assert.equal(problem.code, 'INTERNAL');
    assert.equal(problem.detail, 'the panel could not complete the request');
    assert.doesNotMatch(response.body, /audit_log|relation|SELECT|stack/i);
    await broken.panel.services.db.exec('ALTER TABLE audit_log_gone RENAME TO audit_log');
  });
});
