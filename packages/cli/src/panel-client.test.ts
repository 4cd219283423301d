import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { issueLeafWithNewKey } from '@palisade/server';
import { startTestPanel } from '@palisade/testkit';
import { CliError } from './cli-error.ts';
import { cliSandbox } from './cli-sandbox.ts';
import { parsePanelUrl } from './panel-client.ts';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** An HTTPS server that is not the panel, with a certificate the test panel's CA issued. */
async function impostor(t: Awaited<ReturnType<typeof startTestPanel>>, handler: Handler) {
  const issuing = t.panel.services.ca.issuing;
  const leaf = await issueLeafWithNewKey(issuing, {
    commonName: 'impostor',
    usage: 'server',
    altNames: ['127.0.0.1'],
    validityDays: 1,
  });
  const server = createServer(
    { key: leaf.privateKeyPem, cert: leaf.certificatePem + issuing.certificatePem },
    (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => handler(req, body, res));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    env: {
      PALISADE_PANEL: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      PALISADE_TOKEN: 'pls_tok_test',
      PALISADE_CA_FILE: t.panel.facts.rootCaPath,
    },
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

describe('PanelClient', () => {
  it('sends the bearer token, JSON accept, and no content type on a request without a body', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    const seen: Array<{
      method: string | undefined;
      url: string | undefined;
      headers: IncomingMessage['headers'];
      body: string;
    }> = [];
    await using fake = await impostor(t, (req, body, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(
        res,
        200,
        'application/json',
        JSON.stringify({
          id: '7d1c8f0e-0000-4000-8000-000000000000',
          username: 'a.b',
          role: 'viewer',
          mustChangePassword: false,
          disabled: true,
          createdAt: '2026-01-01T00:00:00.000Z',
        }),
      );
    });
    const result = await cli.run(['operator', 'disable', '--username', 'a.b'], { env: fake.env });
    assert.deepEqual(result, { code: 0, out: 'disabled operator a.b\n', err: '' });
    const [request] = seen;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/v1/operators/a.b/disable');
    assert.equal(request?.headers.authorization, 'Bearer pls_tok_test');
    assert.equal(request?.headers.accept, 'application/json, application/problem+json');
    assert.equal(request?.headers['content-type'], undefined);
    assert.equal(request?.headers['content-length'], '0');
    assert.equal(request?.body, '');
  });

  it('keeps the code of a problem it does not know in the message, with exit 2', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await using fake = await impostor(t, (_req, _body, res) =>
      answer(
        res,
        409,
        'application/problem+json',
        JSON.stringify({ code: 'MOON_PHASE', detail: 'the moon is full\u001b[2J' }),
      ),
    );
    const result = await cli.run(['operator', 'list'], { env: fake.env });
    assert.deepEqual(result, {
      code: 2,
      out: '',
      err: 'palisade: the moon is full\\u001b[2J (panel code MOON_PHASE, HTTP 409) [PANEL_PROBLEM_UNKNOWN]\n',
    });
  });

  it('reports an answer that is not from a panel (a proxy error page) with exit 1', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await using fake = await impostor(t, (_req, _body, res) =>
      answer(res, 502, 'text/html', '<h1>Bad Gateway</h1>'),
    );
    const result = await cli.run(['operator', 'list'], { env: fake.env });
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      /answered HTTP 502 \(text\/html\), not like a Palisade panel.*\[PANEL_RESPONSE_INVALID\]\n$/,
    );
  });

  it('refuses an answer with a missing field instead of printing undefined', async () => {
    await using t = await startTestPanel();
    await using cli = await cliSandbox();
    await using fake = await impostor(t, (_req, _body, res) =>
      answer(res, 200, 'application/json', JSON.stringify({ operators: [{ username: 'x', role: 'root' }] })),
    );
    const result = await cli.run(['operator', 'list'], { env: fake.env });
    assert.deepEqual(result, {
      code: 1,
      out: '',
      err: "palisade: the panel's operator answer has no valid role [PANEL_RESPONSE_INVALID]\n",
    });
  });
});

describe('parsePanelUrl', () => {
  it('keeps the origin and a path prefix, without a trailing slash', () => {
    assert.equal(parsePanelUrl('https://panel.example:9443/'), 'https://panel.example:9443');
    assert.equal(parsePanelUrl('https://PANEL.example/palisade/'), 'https://panel.example/palisade');
  });

  it('refuses URLs that are not https or that carry credentials, a query or a fragment', () => {
    for (const bad of [
      'http://panel',
      'panel.example',
      'https://u:p@panel',
      'https://panel/?x=1',
      'https://panel/#x',
    ]) {
      assert.throws(
        () => parsePanelUrl(bad),
        (e: unknown) => e instanceof CliError && e.code === 'USAGE',
        bad,
      );
    }
  });
});
