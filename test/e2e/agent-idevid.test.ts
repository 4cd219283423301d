import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Agent, parseAgentConfig } from '@palisade/agent';
import { LogCapture, skipUnlessCommand, startTestPanel, type TestPanel } from '@palisade/testkit';
import pino from 'pino';
import { operatorApi, until } from './agent-harness.ts';

const run = promisify(execFile);

describe('agent bootstrap with a manufacturer certificate (IEEE 802.1AR IDevID)', {
  skip: skipUnlessCommand('openssl'),
}, () => {
  let t: TestPanel;
  let api: ReturnType<typeof operatorApi>;
  let dir: string;
  let agent: Agent | undefined;
  const logs = new LogCapture();
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });

  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
    api = operatorApi(t, await t.adminToken());
    dir = await mkdtemp(join(tmpdir(), 'palisade-agent-idevid-'));
    // The factory: a manufacturer CA and one device's IDevID with its serial number.
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'mca.key',
      '-out',
      'mca.pem',
      '-subj',
      '/O=Acme/CN=Acme Manufacturer CA',
      '-days',
      '3650',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'idevid.key',
      '-out',
      'idevid.csr',
      '-subj',
      '/O=Acme/CN=Gateway/serialNumber=ACME-0042',
    ]);
    await writeFile(
      join(dir, 'idevid.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    );
    await openssl([
      'x509',
      '-req',
      '-in',
      'idevid.csr',
      '-CA',
      'mca.pem',
      '-CAkey',
      'mca.key',
      '-set_serial',
      '0x2a',
      '-days',
      '3650',
      '-extfile',
      'idevid.ext',
      '-out',
      'idevid.pem',
    ]);
    // The operator: trust the manufacturer, claim the device by its serial number.
    await api('POST', '/v1/manufacturers', {
      name: 'Acme',
      certificatePem: await readFile(join(dir, 'mca.pem'), 'utf8'),
    });
    await api('POST', '/v1/devices/claims', { idevidSerial: 'ACME-0042', id: 'gw-acme-42' });
  });

  after(async () => {
    await agent?.stop();
    await t?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('enrolls with the IDevID in the TLS handshake, no token, and records the provenance', async () => {
    agent = Agent.start({
      config: parseAgentConfig({
        deviceId: 'gw-acme-42',
        stateDir: join(dir, 'state'),
        panel: { urls: [t.panel.facts.deviceUrl], caFile: t.panel.facts.rootCaPath, serverName: 'localhost' },
        enrollment: {
          idevid: { certificateFile: join(dir, 'idevid.pem'), keyFile: join(dir, 'idevid.key') },
        },
      }),
      logger: pino({ level: 'debug' }, logs),
      version: '0.1.0-test',
      backoff: { baseMs: 50, capMs: 300 },
    });
    await until(
      'online',
      async () => (await api('GET', '/v1/devices/gw-acme-42/presence')).online,
      20_000,
      () => logs.text,
    );
    const { device, certificates } = await api('GET', '/v1/devices/gw-acme-42');
    assert.equal(device.state, 'enrolled');
    assert.equal(device.idevidSerial, 'ACME-0042');
    assert.equal(certificates.length, 1);
    assert.match(logs.text, /"via":"certificate"/);
    const state = JSON.parse(await readFile(join(dir, 'state', 'identity.json'), 'utf8'));
    assert.ok(state.current.certificatePem.includes('BEGIN CERTIFICATE'));
    assert.notEqual(
      state.current.certificatePem,
      await readFile(join(dir, 'idevid.pem'), 'utf8'),
      'an LDevID, not the IDevID',
    );
  });
});
