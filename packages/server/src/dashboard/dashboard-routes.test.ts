import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import { startTestPanel } from '@palisade/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import '../http/fastify-augment.ts';
import { installProblemHandlers } from '../http/problem.ts';
import { DASHBOARD_CSP, registerDashboardRoutes } from './dashboard-routes.ts';

const INDEX =
  '<!doctype html><title>Palisade</title><script type="module" src="/assets/app-1a2b.js"></script>';
const BUNDLE = 'console.log("palisade dashboard");'.repeat(40);

async function appServing(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  installProblemHandlers(app);
  await registerDashboardRoutes(app, { distDir });
  app.get('/v1/known', { config: { access: 'public' } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('registerDashboardRoutes', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-dashboard-'));
    await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
    await writeFile(join(dir, 'dist', 'index.html'), INDEX);
    await writeFile(join(dir, 'dist', 'assets', 'app-1a2b.js'), BUNDLE);
    await writeFile(join(dir, 'dist', 'assets', 'app-1a2b.js.br'), brotliCompressSync(BUNDLE));
    await writeFile(join(dir, 'secret.txt'), 'outside the build');
    app = await appServing(join(dir, 'dist'));
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('the app', () => {
    it('answers / with index.html under the strict CSP, never cached, never framed', async () => {
      const response = await app.inject({ method: 'GET', url: '/' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.equal(response.body, INDEX);
      assert.equal(response.headers['content-security-policy'], DASHBOARD_CSP);
      assert.match(DASHBOARD_CSP, /script-src 'self';/);
      assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval/);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['x-frame-options'], 'DENY');
    });

    it('answers app routes, including device IDs with dots, with index.html (the SPA routes in the browser)', async () => {
      for (const url of ['/devices', '/devices/gw-1.plant-a', '/alerts/0b9f?tab=events']) {
        const response = await app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 200, url);
        assert.equal(response.body, INDEX, url);
      }
    });
  });

  describe('assets', () => {
    it('serves hashed bundles as immutable, pre-compressed when the browser accepts it', async () => {
      const plain = await app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
      assert.equal(plain.statusCode, 200);
      assert.equal(plain.body, BUNDLE);
      assert.match(String(plain.headers['content-type']), /javascript/);
      assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
      const brotli = await app.inject({
        method: 'GET',
        url: '/assets/app-1a2b.js',
        headers: { 'accept-encoding': 'br, gzip' },
      });
      assert.equal(brotli.headers['content-encoding'], 'br');
      assert.ok(brotli.rawPayload.length < BUNDLE.length);
    });

    it('answers a missing asset with a 404 problem that no cache keeps', async () => {
      const response = await app.inject({ method: 'GET', url: '/assets/app-ffff.js' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'ROUTE_NOT_FOUND');
      assert.notEqual(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    });

    it('never serves a file outside the build (path traversal)', async () => {
      for (const url of [
        '/assets/../../secret.txt',
        '/assets/..%2f..%2fsecret.txt',
        '/assets/%2e%2e/%2e%2e/secret.txt',
        '/assets/%2e%2e%2f..%2fsecret.txt',
        '/assets/.hidden.js',
        '/assets/',
      ]) {
        const response = await app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 404, url);
        assert.equal(response.json().code, 'ROUTE_NOT_FOUND', url);
        assert.doesNotMatch(response.body, /outside the build/, url);
      }
    });
  });

  describe('the API stays the API', () => {
    it('answers an unknown /v1 path with a problem+json 404, not the app', async () => {
      for (const url of ['/v1/nothing-here', '/v1', '/v1/devices/x/nothing']) {
        const response = await app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 404, url);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/, url);
        assert.equal(response.json().code, 'ROUTE_NOT_FOUND', url);
      }
      assert.equal((await app.inject({ method: 'GET', url: '/v1/known' })).json().ok, true);
    });

    it('answers a top-level file the build lacks (/favicon.ico) with a 404, not the app', async () => {
      const response = await app.inject({ method: 'GET', url: '/favicon.ico' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'ROUTE_NOT_FOUND');
    });
  });

  describe('without a build', () => {
    it('answers the app routes with 503 DASHBOARD_NOT_BUILT naming the command to run', async () => {
      const empty = await mkdtemp(join(tmpdir(), 'palisade-no-dashboard-'));
      const bare = await appServing(join(empty, 'dist'));
      try {
        for (const url of ['/', '/devices']) {
          const response = await bare.inject({ method: 'GET', url });
          assert.equal(response.statusCode, 503, url);
          assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
          assert.equal(response.json().code, 'DASHBOARD_NOT_BUILT');
          assert.match(response.json().detail, /npm run build:dashboard/);
        }
        assert.equal((await bare.inject({ method: 'GET', url: '/v1/nope' })).statusCode, 404);
      } finally {
        await bare.close();
        await rm(empty, { recursive: true, force: true });
      }
    });
  });

  describe('on the operator listener', () => {
    it('is public (no credential asked), while API answers keep cache-control no-store', async () => {
      await using t = await startTestPanel();
      const app = await t.inject('GET', '/devices');
      // 200 with the CSP when packages/dashboard/dist is built, 503 DASHBOARD_NOT_BUILT when not.
      if (app.statusCode === 200) assert.equal(app.headers['content-security-policy'], DASHBOARD_CSP);
      else assert.equal(app.json().code, 'DASHBOARD_NOT_BUILT');
      const api = await t.inject('GET', '/v1/devices');
      assert.equal(api.statusCode, 401);
      assert.equal(api.headers['cache-control'], 'no-store');
      assert.equal((await t.inject('GET', '/healthz')).headers['cache-control'], 'no-store');
    });
  });
});
