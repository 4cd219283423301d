import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { resolvePanelEndpoints } from './panel-endpoints.ts';

describe('resolvePanelEndpoints', () => {
  it('takes IP literals as they are, with the URL’s port (443 when none)', async () => {
    const resolved = await resolvePanelEndpoints(
      [
        new URL('https://192.0.2.10:8443'),
        new URL('https://[2001:db8::7]'),
        new URL('https://192.0.2.10:8443'),
      ],
      async () => assert.fail('no lookup for an address'),
    );
    assert.deepEqual(resolved, {
      endpoints: [
        { address: '192.0.2.10', port: 8443 },
        { address: '2001:db8::7', port: 443 },
      ],
      usesDnsName: false,
    });
  });

  it('resolves a host name to every address, so a fail-over to another record stays allowed', async () => {
    const resolved = await resolvePanelEndpoints(
      [new URL('https://panel.plant1.example:8443')],
      async (host) => {
        assert.equal(host, 'panel.plant1.example');
        return ['192.0.2.10', '192.0.2.11', '2001:db8::10'];
      },
    );
    assert.deepEqual(resolved, {
      endpoints: [
        { address: '192.0.2.10', port: 8443 },
        { address: '192.0.2.11', port: 8443 },
        { address: '2001:db8::10', port: 8443 },
      ],
      usesDnsName: true,
    });
  });

  it('fails with PANEL_UNREACHABLE when a name does not resolve: no ruleset without the panel in it', async () => {
    await assert.rejects(
      resolvePanelEndpoints([new URL('https://panel.invalid:8443')], async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      }),
      (error: unknown) =>
        error instanceof AgentError &&
        error.code === 'PANEL_UNREACHABLE' &&
        /panel\.invalid/.test(error.message),
    );
  });
});
