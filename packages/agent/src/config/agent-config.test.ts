import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AgentError } from '../agent-error.ts';
import { type AgentConfig, loadAgentConfig, parseAgentConfig } from './agent-config.ts';

/** The smallest valid document: everything else has a default. */
const minimal = () => ({
  deviceId: 'gw-0042',
  panel: { urls: ['https://panel.example:8443'], caFile: '/etc/palisade/panel-ca.pem' },
});

/** URL objects compare by identity in some Node versions: compare what the agent uses, the href. */
const plain = (config: AgentConfig) => ({
  ...config,
  panel: { ...config.panel, urls: config.panel.urls.map((url) => url.href) },
});

/** The problems of the one AGENT_CONFIG_INVALID error `parseAgentConfig` must throw. */
function problemsOf(document: unknown): Array<{ field: string; message: string }> {
  try {
    parseAgentConfig(document);
  } catch (error) {
    assert.ok(error instanceof AgentError, String(error));
    assert.equal(error.code, 'AGENT_CONFIG_INVALID');
    const problems = error.details?.problems;
    assert.ok(Array.isArray(problems) && problems.length > 0, 'no problems listed');
    return problems as Array<{ field: string; message: string }>;
  }
  assert.fail('the document was accepted');
}

const fieldsOf = (document: unknown) => problemsOf(document).map((p) => p.field);

describe('parseAgentConfig', () => {
  describe('valid documents', () => {
    it('parses a full software-RoT document to exactly the configuration it describes', () => {
      const config = parseAgentConfig({
        deviceId: 'gw-0042',
        stateDir: '/srv/palisade',
        panel: {
          urls: ['https://panel-a.example:8443', 'https://[2001:db8::1]:8443/'],
          caFile: '/etc/palisade/panel-ca.pem',
          serverName: 'panel.example',
        },
        enrollment: {
          tokenFile: '/etc/palisade/enrollment-token',
          idevid: { certificateFile: '/etc/palisade/idevid.pem', keyFile: '/etc/palisade/idevid.key' },
          estLabel: 'plant-a',
        },
        rootOfTrust: { kind: 'software', passphraseFile: '/etc/palisade/key-passphrase' },
        outbox: { maxBytes: 16 * 1024 * 1024 },
        inventoryIntervalSeconds: 600,
        logLevel: 'debug',
        policies: {
          stateDir: '/srv/palisade-policies',
          firewall: {
            nftPath: '/usr/sbin/nft',
            nftPrefix: ['ip', 'netns', 'exec', 'plant'],
            confirmWithinSeconds: 120,
          },
          crypto: { agentTls: false, opensslInclude: '/etc/ssl/openssl.cnf.d/palisade.cnf' },
          config: { allowedDirectories: ['/etc/modbus', '/opt/app/etc'] },
        },
        attestation: {
          enabled: false,
          eventLogPath: '/run/boot-log.bin',
          firmwareVersionPath: '/run/fw-version',
          akHandle: '0x81000030',
        },
      });
      assert.deepEqual(plain(config), {
        deviceId: 'gw-0042',
        stateDir: '/srv/palisade',
        panel: {
          urls: ['https://panel-a.example:8443/', 'https://[2001:db8::1]:8443/'],
          caFile: '/etc/palisade/panel-ca.pem',
          serverName: 'panel.example',
        },
        enrollment: {
          tokenFile: '/etc/palisade/enrollment-token',
          idevid: { certificateFile: '/etc/palisade/idevid.pem', keyFile: '/etc/palisade/idevid.key' },
          estLabel: 'plant-a',
        },
        rootOfTrust: { kind: 'software', passphraseFile: '/etc/palisade/key-passphrase' },
        outbox: { maxBytes: 16 * 1024 * 1024 },
        inventoryIntervalSeconds: 600,
        logLevel: 'debug',
        policies: {
          stateDir: '/srv/palisade-policies',
          firewall: {
            nftPath: '/usr/sbin/nft',
            nftPrefix: ['ip', 'netns', 'exec', 'plant'],
            confirmWithinSeconds: 120,
          },
          crypto: { agentTls: false, opensslInclude: '/etc/ssl/openssl.cnf.d/palisade.cnf' },
          config: { allowedDirectories: ['/etc/modbus', '/opt/app/etc'] },
        },
        attestation: {
          enabled: false,
          eventLogPath: '/run/boot-log.bin',
          firmwareVersionPath: '/run/fw-version',
          akHandle: 0x81000030,
        },
      });
    });

    it('parses a PKCS#11 root of trust with an IDevID key on the token', () => {
      const uri =
        'pkcs11:token=palisade?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/palisade/pin';
      const config = parseAgentConfig({
        ...minimal(),
        enrollment: { idevid: { certificateFile: '/etc/palisade/idevid.pem', keyLabel: 'idevid' } },
        rootOfTrust: { kind: 'pkcs11', uri },
      });
      assert.deepEqual(config.rootOfTrust, { kind: 'pkcs11', uri });
      assert.deepEqual(config.enrollment, {
        idevid: { certificateFile: '/etc/palisade/idevid.pem', keyLabel: 'idevid' },
      });
    });

    it('parses a TPM root of trust with its TCTI', () => {
      const config = parseAgentConfig({
        ...minimal(),
        rootOfTrust: { kind: 'tpm', tcti: 'tabrmd:bus_type=system' },
      });
      assert.deepEqual(config.rootOfTrust, { kind: 'tpm', tcti: 'tabrmd:bus_type=system' });
    });

    it('fills every default: state dir, software RoT, outbox bound, inventory interval, log level, policies', () => {
      assert.deepEqual(plain(parseAgentConfig(minimal())), {
        deviceId: 'gw-0042',
        stateDir: '/var/lib/palisade',
        panel: { urls: ['https://panel.example:8443/'], caFile: '/etc/palisade/panel-ca.pem' },
        enrollment: {},
        rootOfTrust: { kind: 'software' },
        outbox: { maxBytes: 64 * 1024 * 1024 },
        inventoryIntervalSeconds: 300,
        logLevel: 'info',
        policies: {
          stateDir: '/var/lib/palisade/policies',
          firewall: { nftPath: 'nft', nftPrefix: [], confirmWithinSeconds: 60 },
          crypto: { agentTls: true },
          config: { allowedDirectories: ['/etc/palisade-managed'] },
        },
        attestation: {
          enabled: true,
          eventLogPath: '/sys/kernel/security/tpm0/binary_bios_measurements',
          firmwareVersionPath: '/sys/class/dmi/id/bios_version',
          akHandle: 0x81000020,
        },
      });
    });

    it('defaults the TPM TCTI to the kernel resource manager', () => {
      const config = parseAgentConfig({ ...minimal(), rootOfTrust: { kind: 'tpm' } });
      assert.deepEqual(config.rootOfTrust, { kind: 'tpm', tcti: 'device:/dev/tpmrm0' });
    });

    it('takes panel.url as the shorthand for a single panel', () => {
      const config = parseAgentConfig({
        deviceId: 'gw-0042',
        panel: { url: 'https://panel.example:8443', caFile: '/etc/palisade/panel-ca.pem' },
      });
      assert.deepEqual(
        config.panel.urls.map((url) => url.href),
        ['https://panel.example:8443/'],
      );
    });

    it('reads an empty YAML value (null) as "use the default"', () => {
      const config = parseAgentConfig({
        ...minimal(),
        stateDir: null,
        rootOfTrust: null,
        outbox: { maxBytes: null },
        inventoryIntervalSeconds: null,
        logLevel: null,
        enrollment: { idevid: null, tokenFile: null },
      });
      assert.equal(config.stateDir, '/var/lib/palisade');
      assert.deepEqual(config.rootOfTrust, { kind: 'software' });
      assert.equal(config.outbox.maxBytes, 64 * 1024 * 1024);
      assert.equal(config.inventoryIntervalSeconds, 300);
      assert.equal(config.logLevel, 'info');
      assert.deepEqual(config.enrollment, {});
    });

    it('accepts the bounds of every integer setting', () => {
      for (const [maxBytes, inventoryIntervalSeconds] of [
        [1024 * 1024, 10],
        [64 * 1024 ** 3, 86_400],
      ] as const) {
        const config = parseAgentConfig({ ...minimal(), outbox: { maxBytes }, inventoryIntervalSeconds });
        assert.equal(config.outbox.maxBytes, maxBytes);
        assert.equal(config.inventoryIntervalSeconds, inventoryIntervalSeconds);
      }
    });
  });

  describe('invalid documents', () => {
    it('names every bad field at once in one AGENT_CONFIG_INVALID error', () => {
      const problems = problemsOf({
        deviceId: '-starts-with-a-dash',
        stateDir: 'var/lib/palisade',
        panel: { urls: ['http://panel.example:8443', 'not a url'], caFile: 'panel-ca.pem' },
        enrollment: {
          tokenFile: 'token',
          estLabel: 'Plant A',
          idevid: { certificateFile: '/etc/palisade/idevid.pem' },
        },
        rootOfTrust: { kind: 'tpm', tcti: '' },
        outbox: { maxBytes: 1024 },
        inventoryIntervalSeconds: 5,
        logLevel: 'verbose',
        logFile: '/var/log/palisade.log',
      });
      assert.deepEqual(problems.map((p) => p.field).sort(), [
        'deviceId',
        'enrollment.estLabel',
        'enrollment.idevid',
        'enrollment.tokenFile',
        'inventoryIntervalSeconds',
        'logFile',
        'logLevel',
        'outbox.maxBytes',
        'panel.caFile',
        'panel.urls[0]',
        'panel.urls[1]',
        'rootOfTrust.tcti',
        'stateDir',
      ]);
    });

    it('says which file is at fault and lists the fields in the message', () => {
      assert.throws(
        () => parseAgentConfig({ ...minimal(), logLevel: 'loud' }, '/etc/palisade/agent.yaml'),
        (error: unknown) => {
          assert.ok(error instanceof AgentError);
          assert.match(error.message, /^\/etc\/palisade\/agent\.yaml is invalid: logLevel must be one of/);
          return true;
        },
      );
    });

    it('refuses a document that is not a mapping', () => {
      for (const document of [undefined, null, 'deviceId: x', 42, [minimal()]]) {
        // The document itself is named by the empty field (shown as "(document)" in the message).
        assert.ok(fieldsOf(document).includes(''), String(document));
      }
    });

    it('requires deviceId, panel, panel.caFile and a panel URL', () => {
      assert.deepEqual(fieldsOf({}).sort(), ['deviceId', 'panel', 'panel.caFile', 'panel.urls']);
      assert.deepEqual(fieldsOf({ deviceId: 'gw-1', panel: { caFile: '/ca.pem', urls: [] } }), [
        'panel.urls',
      ]);
    });

    it('refuses unknown keys at every level, naming their full path', () => {
      const fields = fieldsOf({
        ...minimal(),
        deviceID: 'gw-0042',
        panel: { ...minimal().panel, timeout: 5 },
        enrollment: {
          token: 'abc',
          idevid: { certificateFile: '/a.pem', keyFile: '/a.key', password: 'x' },
        },
        rootOfTrust: { kind: 'software', pin: '1234' },
        outbox: { maxbytes: 1024 },
      });
      assert.deepEqual(fields.sort(), [
        'deviceID',
        'enrollment.idevid.password',
        'enrollment.token',
        'outbox.maxbytes',
        'panel.timeout',
        'rootOfTrust.pin',
      ]);
    });

    it("refuses another kind's settings in rootOfTrust", () => {
      assert.deepEqual(fieldsOf({ ...minimal(), rootOfTrust: { kind: 'tpm', uri: 'pkcs11:token=x' } }), [
        'rootOfTrust.uri',
      ]);
      assert.deepEqual(
        fieldsOf({
          ...minimal(),
          rootOfTrust: { kind: 'pkcs11', uri: 'pkcs11:token=x', passphraseFile: '/p' },
        }),
        ['rootOfTrust.passphraseFile'],
      );
    });

    it('refuses relative paths wherever a file or directory is named', () => {
      const fields = fieldsOf({
        ...minimal(),
        stateDir: './state',
        panel: { ...minimal().panel, caFile: 'ca.pem' },
        enrollment: {
          tokenFile: 'token',
          idevid: { certificateFile: 'idevid.pem', keyFile: '../idevid.key' },
        },
        rootOfTrust: { kind: 'software', passphraseFile: 'passphrase' },
      });
      assert.deepEqual(fields.sort(), [
        'enrollment.idevid.certificateFile',
        'enrollment.idevid.keyFile',
        'enrollment.tokenFile',
        'panel.caFile',
        'rootOfTrust.passphraseFile',
        'stateDir',
      ]);
    });

    it('refuses panel URLs that are not plain https:// origins', () => {
      const bad = [
        'http://panel.example:8443',
        'wss://panel.example:8443',
        'panel.example:8443',
        '',
        'https://',
        // The client sends absolute paths: a prefix, query or fragment would be dropped without a word.
        'https://panel.example:8443/palisade',
        'https://panel.example:8443/?x=1',
        'https://panel.example:8443/#frag',
        'https://user:secret@panel.example:8443',
        42,
        ['https://panel.example:8443'],
        { href: 'https://panel.example:8443' },
      ];
      const fields = fieldsOf({ ...minimal(), panel: { ...minimal().panel, urls: bad } });
      assert.deepEqual(
        fields,
        bad.map((_, index) => `panel.urls[${index}]`),
      );
    });

    it('refuses a panel.url that is not a URL, and panel.url together with panel.urls', () => {
      assert.deepEqual(fieldsOf({ deviceId: 'gw-1', panel: { url: 8443, caFile: '/ca.pem' } }), [
        'panel.url',
      ]);
      assert.deepEqual(
        fieldsOf({
          deviceId: 'gw-1',
          panel: { url: 'https://a.example', urls: ['https://b.example'], caFile: '/ca.pem' },
        }),
        ['panel.url'],
      );
    });

    it('never echoes a bad value (a URL may carry a password) in the message', () => {
      assert.throws(
        () =>
          parseAgentConfig({
            ...minimal(),
            panel: { ...minimal().panel, urls: ['https://gw:hunter2@panel'] },
          }),
        (error: unknown) => {
          assert.ok(error instanceof AgentError);
          assert.doesNotMatch(error.message, /hunter2/);
          assert.doesNotMatch(JSON.stringify(error.details), /hunter2/);
          return true;
        },
      );
    });

    it('refuses device IDs the panel would not issue a certificate CN for', () => {
      for (const deviceId of ['', ' ', '-gw', '.gw', 'gw 42', 'gw/42', 'gw✓', 'a'.repeat(65), 42, true]) {
        assert.deepEqual(fieldsOf({ ...minimal(), deviceId }), ['deviceId'], String(deviceId));
      }
      for (const deviceId of ['g', 'GW_0042.plant-a', 'a'.repeat(64)]) {
        assert.equal(parseAgentConfig({ ...minimal(), deviceId }).deviceId, deviceId);
      }
    });

    it('refuses an EST label that is not a device group name', () => {
      for (const estLabel of ['Plant-A', '-plant', 'plant a', 'plant/a', 'a'.repeat(65), '']) {
        assert.deepEqual(
          fieldsOf({ ...minimal(), enrollment: { estLabel } }),
          ['enrollment.estLabel'],
          estLabel,
        );
      }
    });

    it('needs exactly one of keyFile and keyLabel for the IDevID', () => {
      const both = { certificateFile: '/i.pem', keyFile: '/i.key', keyLabel: 'idevid' };
      const neither = { certificateFile: '/i.pem' };
      assert.deepEqual(fieldsOf({ ...minimal(), enrollment: { idevid: both } }), ['enrollment.idevid']);
      assert.deepEqual(fieldsOf({ ...minimal(), enrollment: { idevid: neither } }), ['enrollment.idevid']);
      assert.deepEqual(fieldsOf({ ...minimal(), enrollment: { idevid: { keyFile: '/i.key' } } }), [
        'enrollment.idevid.certificateFile',
      ]);
      assert.deepEqual(fieldsOf({ ...minimal(), enrollment: { idevid: '/i.pem' } }).sort(), [
        'enrollment.idevid',
        'enrollment.idevid',
        'enrollment.idevid.certificateFile',
      ]);
    });

    it('refuses a root of trust kind it does not know', () => {
      for (const rootOfTrust of [{ kind: 'hsm' }, { kind: 'TPM' }, {}, { kind: 1 }]) {
        assert.deepEqual(
          fieldsOf({ ...minimal(), rootOfTrust }),
          ['rootOfTrust.kind'],
          JSON.stringify(rootOfTrust),
        );
      }
      assert.deepEqual(fieldsOf({ ...minimal(), rootOfTrust: 'tpm' }).sort(), [
        'rootOfTrust',
        'rootOfTrust.kind',
      ]);
    });

    it('needs a pkcs11: URI for the PKCS#11 root of trust', () => {
      assert.deepEqual(fieldsOf({ ...minimal(), rootOfTrust: { kind: 'pkcs11' } }), ['rootOfTrust.uri']);
      for (const uri of [
        'token=palisade',
        'PKCS11:token=palisade',
        'file:/usr/lib/softhsm/libsofthsm2.so',
        '',
      ]) {
        assert.deepEqual(
          fieldsOf({ ...minimal(), rootOfTrust: { kind: 'pkcs11', uri } }),
          ['rootOfTrust.uri'],
          uri,
        );
      }
    });

    it('refuses integers out of range, fractions, and numbers written as strings', () => {
      for (const maxBytes of [
        1024 * 1024 - 1,
        64 * 1024 ** 3 + 1,
        1024 * 1024 + 0.5,
        '67108864',
        -1,
        Number.NaN,
      ]) {
        assert.deepEqual(
          fieldsOf({ ...minimal(), outbox: { maxBytes } }),
          ['outbox.maxBytes'],
          String(maxBytes),
        );
      }
      for (const inventoryIntervalSeconds of [9, 86_401, 60.5, '300', 0]) {
        assert.deepEqual(
          fieldsOf({ ...minimal(), inventoryIntervalSeconds }),
          ['inventoryIntervalSeconds'],
          String(inventoryIntervalSeconds),
        );
      }
    });

    it('refuses a log level pino does not have', () => {
      for (const logLevel of ['verbose', 'INFO', 'silent', '', 3]) {
        assert.deepEqual(fieldsOf({ ...minimal(), logLevel }), ['logLevel'], String(logLevel));
      }
    });

    it('refuses mappings given as something else', () => {
      assert.deepEqual(fieldsOf({ ...minimal(), outbox: [1] }), ['outbox']);
      assert.deepEqual(fieldsOf({ ...minimal(), enrollment: 'token' }), ['enrollment']);
      assert.deepEqual(fieldsOf({ deviceId: 'gw-1', panel: 'https://panel.example' }).sort(), [
        'panel',
        'panel.caFile',
        'panel.urls',
      ]);
    });
  });

  describe('on arbitrary input', () => {
    it('never throws anything but an AgentError, for any JSON value', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (document) => {
          try {
            parseAgentConfig(document);
          } catch (error) {
            assert.ok(error instanceof AgentError, `threw ${String(error)}`);
            assert.equal(error.code, 'AGENT_CONFIG_INVALID');
          }
        }),
        { numRuns: 2000 },
      );
    });

    it('either parses to a configuration that keeps its promises or names at least one field', () => {
      // Documents close to valid ones reach far deeper than random JSON does.
      const anyValue = fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom('/abs/path', 'rel/path', 'https://panel.example:8443', 'pkcs11:token=t', 'gw-1', ''),
      );
      const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
      const document = fc.record(
        {
          deviceId: fc.oneof(fc.constantFrom('gw-0042', '-x', 'a'.repeat(65)), anyValue),
          stateDir: maybe(anyValue),
          panel: fc.oneof(
            fc.record(
              {
                url: maybe(anyValue),
                urls: maybe(fc.array(fc.oneof(fc.webUrl(), anyValue), { maxLength: 3 })),
                caFile: fc.oneof(fc.constant('/etc/palisade/ca.pem'), anyValue),
                serverName: maybe(anyValue),
              },
              { requiredKeys: [] },
            ),
            anyValue,
          ),
          enrollment: maybe(
            fc.record(
              {
                tokenFile: anyValue,
                estLabel: anyValue,
                idevid: fc.record(
                  { certificateFile: anyValue, keyFile: anyValue, keyLabel: anyValue },
                  { requiredKeys: [] },
                ),
              },
              { requiredKeys: [] },
            ),
          ),
          rootOfTrust: maybe(
            fc.record(
              {
                kind: fc.oneof(fc.constantFrom('software', 'pkcs11', 'tpm'), anyValue),
                uri: anyValue,
                tcti: anyValue,
                passphraseFile: anyValue,
              },
              { requiredKeys: [] },
            ),
          ),
          outbox: maybe(fc.record({ maxBytes: fc.oneof(fc.integer(), anyValue) }, { requiredKeys: [] })),
          inventoryIntervalSeconds: maybe(fc.oneof(fc.integer({ min: 0, max: 100_000 }), anyValue)),
          logLevel: maybe(fc.oneof(fc.constantFrom('info', 'trace', 'loud'), anyValue)),
          policies: maybe(
            fc.record(
              {
                stateDir: anyValue,
                firewall: maybe(
                  fc.record(
                    {
                      nftPath: anyValue,
                      nftPrefix: anyValue,
                      confirmWithinSeconds: fc.oneof(fc.integer(), anyValue),
                    },
                    { requiredKeys: [] },
                  ),
                ),
                crypto: maybe(
                  fc.record({ agentTls: anyValue, opensslInclude: anyValue }, { requiredKeys: [] }),
                ),
                config: maybe(fc.record({ allowedDirectories: anyValue }, { requiredKeys: [] })),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(document, (candidate) => {
          let config: AgentConfig;
          try {
            config = parseAgentConfig(candidate);
          } catch (error) {
            assert.ok(error instanceof AgentError, `threw ${String(error)}`);
            const problems = error.details?.problems as Array<{ field: unknown; message: unknown }>;
            assert.ok(problems.length > 0);
            for (const problem of problems) {
              assert.equal(typeof problem.field, 'string');
              assert.equal(typeof problem.message, 'string');
            }
            return;
          }
          assert.ok(config.panel.urls.length > 0);
          for (const url of config.panel.urls) assert.equal(url.protocol, 'https:');
          assert.ok(config.stateDir.startsWith('/') && config.panel.caFile.startsWith('/'));
          assert.ok(['software', 'pkcs11', 'tpm'].includes(config.rootOfTrust.kind));
          assert.ok(Number.isInteger(config.outbox.maxBytes) && config.outbox.maxBytes >= 1024 * 1024);
          assert.ok(config.policies.stateDir.startsWith('/'));
          assert.ok(config.policies.config.allowedDirectories.length > 0);
          for (const directory of config.policies.config.allowedDirectories)
            assert.ok(directory.startsWith('/') && directory !== '/');
        }),
        { numRuns: 2000 },
      );
    });
  });
});

describe('loadAgentConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-agent-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const rejectsNaming = (file: string, message: RegExp) =>
    assert.rejects(loadAgentConfig(file), (error: unknown) => {
      assert.ok(error instanceof AgentError, String(error));
      assert.equal(error.code, 'AGENT_CONFIG_INVALID');
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.message, message);
      return true;
    });

  it('loads a YAML file', async () => {
    const file = join(dir, 'agent.yaml');
    await writeFile(
      file,
      [
        'deviceId: gw-0042',
        'panel:',
        '  url: https://panel.example:8443',
        '  caFile: /etc/palisade/panel-ca.pem',
        'rootOfTrust:',
        '  kind: tpm',
        'outbox:',
        '  maxBytes: 16777216',
        '',
      ].join('\n'),
    );
    const config = await loadAgentConfig(file);
    assert.equal(config.deviceId, 'gw-0042');
    assert.deepEqual(config.rootOfTrust, { kind: 'tpm', tcti: 'device:/dev/tpmrm0' });
    assert.equal(config.outbox.maxBytes, 16 * 1024 * 1024);
  });

  it('refuses a missing file with AGENT_CONFIG_INVALID naming the path', async () => {
    await rejectsNaming(join(dir, 'absent.yaml'), /cannot read the agent configuration/);
  });

  it('refuses a file that is not YAML, naming the path', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'deviceId: gw-0042\npanel: {url: https://panel.example\n');
    await rejectsNaming(file, /is not valid YAML/);
  });

  it('gives the position of a YAML error without quoting the line, which may hold a PIN', async () => {
    const file = join(dir, 'pin.yaml');
    await writeFile(
      file,
      'deviceId: gw-0042\nrootOfTrust: {kind: pkcs11, uri: "pkcs11:token=t?pin-value=s3cret-pin\n',
    );
    await assert.rejects(loadAgentConfig(file), (error: unknown) => {
      assert.ok(error instanceof AgentError, String(error));
      assert.equal(error.code, 'AGENT_CONFIG_INVALID');
      assert.match(error.message, /is not valid YAML \(line \d+, column \d+\)/);
      assert.doesNotMatch(error.message, /s3cret-pin/);
      return true;
    });
  });

  it('refuses an alias bomb instead of expanding it', async () => {
    const file = join(dir, 'bomb.yaml');
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    await writeFile(file, `${lines.join('\n')}\n`);
    await rejectsNaming(file, /is not valid YAML/);
  });

  it('names the file and the fields when the YAML is valid but the configuration is not', async () => {
    const file = join(dir, 'invalid.yaml');
    await writeFile(file, 'deviceId: gw-0042\npanel:\n  url: http://panel.example\n  caFile: ca.pem\n');
    await rejectsNaming(file, /panel\.url .*; panel\.caFile must be an absolute path/);
  });
});
