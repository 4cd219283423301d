import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { parseAgentConfig } from '../config/agent-config.ts';

const minimal = () => ({
  deviceId: 'gw-0042',
  stateDir: '/srv/palisade',
  panel: { urls: ['https://panel.example:8443'], caFile: '/etc/palisade/panel-ca.pem' },
});

function fieldsOf(policies: unknown): string[] {
  try {
    parseAgentConfig({ ...minimal(), policies });
  } catch (error) {
    assert.ok(error instanceof AgentError, String(error));
    assert.equal(error.code, 'AGENT_CONFIG_INVALID');
    return ((error.details?.problems ?? []) as Array<{ field: string }>).map((p) => p.field);
  }
  assert.fail('accepted');
}

describe('agent.yaml policies:', () => {
  it('defaults the policy state below the agent state directory', () => {
    const { policies } = parseAgentConfig(minimal());
    assert.equal(policies.stateDir, '/srv/palisade/policies');
    assert.deepEqual(policies.config.allowedDirectories, ['/etc/palisade-managed']);
    assert.equal(policies.crypto.opensslInclude, undefined, 'the OpenSSL include is opt-in');
  });

  it('reads an empty section (YAML null) as every default', () => {
    assert.equal(
      parseAgentConfig({ ...minimal(), policies: null }).policies.firewall.confirmWithinSeconds,
      60,
    );
  });

  it('names every bad member at once', () => {
    assert.deepEqual(
      fieldsOf({
        stateDir: 'relative/dir',
        firewall: { nftPath: 'n f t', nftPrefix: ['ip', ''], confirmWithinSeconds: 4 },
        crypto: { agentTls: 'yes', opensslInclude: 'palisade.cnf' },
        config: { allowedDirectories: ['/etc/app', '/', '/etc/app', '/etc/../root', '/etc/x/'] },
        firewal: {},
      }).sort(),
      [
        'policies.config.allowedDirectories[1]',
        'policies.config.allowedDirectories[2]',
        'policies.config.allowedDirectories[3]',
        'policies.config.allowedDirectories[4]',
        'policies.crypto.agentTls',
        'policies.crypto.opensslInclude',
        'policies.firewal',
        'policies.firewall.confirmWithinSeconds',
        'policies.firewall.nftPath',
        'policies.firewall.nftPrefix',
        'policies.stateDir',
      ],
    );
  });

  it('refuses an empty allow-list: a config policy could then write nowhere, which is never what was meant', () => {
    assert.deepEqual(fieldsOf({ config: { allowedDirectories: [] } }), [
      'policies.config.allowedDirectories',
    ]);
  });

  it('refuses a section that is not a mapping', () => {
    assert.deepEqual(fieldsOf(['firewall']), ['policies']);
    assert.deepEqual(fieldsOf({ crypto: 'on' }), ['policies.crypto']);
  });
});
