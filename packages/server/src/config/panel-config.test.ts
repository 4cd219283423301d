import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { loadPanelConfig, PANEL_OPTIONS, panelHelp } from './panel-config.ts';

async function configFile(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'palisade-config-')), name);
  await writeFile(path, text);
  return path;
}

async function load(argv: string[], env: Record<string, string> = {}) {
  const parsed = await loadPanelConfig(argv, env);
  assert.equal(parsed.help, false);
  return parsed.help ? undefined : parsed.config;
}

describe('loadPanelConfig', () => {
  it('starts from documented defaults', async () => {
    const config = await load([]);
    assert.equal(config?.dataDir, resolve('./.palisade'));
    assert.equal(config?.devicePort, 8443);
    assert.equal(config?.operatorPort, 9443);
    assert.equal(config?.bodyLimit, 1024 * 1024);
    assert.equal(config?.databaseUrl, undefined);
  });

  it('applies file < flags < environment, for YAML and JSON files', async () => {
    const yaml = await configFile(
      'panel.yaml',
      'devicePort: 1001\noperatorPort: 1002\nhosts: [a.example, b.example]\nlogLevel: debug\n',
    );
    const json = await configFile('panel.json', '{"devicePort": 2001, "operatorPort": 2002}');
    const fromYaml = await load(['--config', yaml, '--operator-port', '3002'], {
      PALISADE_DEVICE_PORT: '4001',
    });
    assert.deepEqual(
      [fromYaml?.devicePort, fromYaml?.operatorPort, fromYaml?.hosts, fromYaml?.logLevel],
      [4001, 3002, ['a.example', 'b.example'], 'debug'],
    );
    const fromJson = await load(['--config', json]);
    assert.deepEqual([fromJson?.devicePort, fromJson?.operatorPort], [2001, 2002]);
    const withUrl = await load(['--database-url', 'postgres://flag/db'], {
      DATABASE_URL: 'postgres://env/db',
    });
    assert.equal(withUrl?.databaseUrl, 'postgres://env/db');
  });

  it('names an unknown setting in the file, a bad value and an unknown flag', async () => {
    const unknown = await configFile('bad.yaml', 'devicePort: 1\nkeyPassphrase: nope\n');
    await assert.rejects(load(['--config', unknown]), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /unknown setting\(s\) keyPassphrase/);
      return true;
    });
    await assert.rejects(load(['--device-port', '70000']), /devicePort must be a port number/);
    await assert.rejects(load([], { PALISADE_LOG_LEVEL: 'loud' }), /logLevel must be one of/);
    await assert.rejects(load(['--passphrase', 'x']), /Unknown option '--passphrase'/);
    await assert.rejects(
      load(['--config', '/nonexistent/panel.yaml']),
      (error: unknown) => error instanceof ConfigError && error.code === 'CONFIG_FILE_UNREADABLE',
    );
  });

  it('documents every option, its environment variable and the secrets in --help', async () => {
    assert.deepEqual(await loadPanelConfig(['--help'], {}), { help: true });
    const help = panelHelp();
    for (const option of PANEL_OPTIONS) {
      assert.ok(help.includes(`--${option.flag}`), option.flag);
      if (option.env) assert.ok(help.includes(option.env), option.env);
    }
    for (const secret of ['PALISADE_KEY_PASSPHRASE', 'PALISADE_BOOTSTRAP_ADMIN_PASSWORD', '--config'])
      assert.ok(help.includes(secret));
  });
});

describe('loadPanelConfig: identity settings', () => {
  it('reads the plain-HTTP listener switch, the revocation URL and the CA key store, refusing bad values', async () => {
    const config = await load([
      '--http-listener',
      'false',
      '--revocation-url',
      'http://pki.example/',
      '--ca-key-store',
      'pkcs11:token=x',
    ]);
    assert.deepEqual(
      [config?.httpListener, config?.revocationBaseUrl, config?.caKeyStore],
      [false, 'http://pki.example', 'pkcs11:token=x'],
    );
    await assert.rejects(load(['--http-listener', 'no']), /httpListener must be true or false/);
    await assert.rejects(load(['--revocation-url', 'ftp://x']), /revocationBaseUrl must be an http\(s\) URL/);
    await assert.rejects(
      load([], { PALISADE_CA_KEY_STORE: 'hsm' }),
      /caKeyStore must be 'file' or a pkcs11: URI/,
    );
  });
});
