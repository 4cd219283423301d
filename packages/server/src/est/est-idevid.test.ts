import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { EstBench, problem, run } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

interface Authority {
  readonly cert: string;
  readonly key: string;
}

interface Idevid {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;
}

describe('IDevID enrollment (IEEE 802.1AR) with openssl-made manufacturer CAs', { skip: tools }, () => {
  let b: EstBench;
  let acme: Authority;
  let rogue: Authority;

  /** A self-signed manufacturer CA, as a vendor's factory would have. */
  async function manufacturerCa(name: string): Promise<Authority> {
    const key = await b.key(`${name}-ca`);
    const cert = b.file(`${name}-ca.pem`);
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      `/O=${name}/CN=${name} Manufacturer CA`,
      '-days',
      '3650',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      cert,
    ]);
    return { cert, key };
  }

  /** An IDevID for the device with that serial number, signed by the manufacturer CA. */
  async function idevid(ca: Authority, serialNumber: string): Promise<Idevid> {
    const key = await b.key(`idevid-${serialNumber}`);
    const csr = b.file('idevid.csr');
    await run('openssl', [
      'req',
      '-new',
      '-key',
      key,
      '-subj',
      `/O=Acme/CN=Widget/serialNumber=${serialNumber}`,
      '-out',
      csr,
    ]);
    const extensions = await b.write(
      `idevid-${serialNumber}.ext`,
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    );
    const cert = b.file(`idevid-${serialNumber}.pem`);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${Buffer.from(serialNumber).toString('hex')}`,
      '-days',
      '3650',
      '-extfile',
      extensions,
      '-out',
      cert,
    ]);
    const fingerprint = (await run('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']))
      .trim()
      .split('=')[1]
      ?.replaceAll(':', '')
      .toLowerCase();
    return { cert, key, fingerprint: fingerprint ?? '' };
  }

  /** simpleenroll authenticated by the IDevID alone; the answer carries the new LDevID's key file. */
  async function enrollWith(device: Idevid, subject: string) {
    const key = await b.key('ldevid');
    const csr = await b.csr(key, subject);
    const answer = await b.curl('simpleenroll', { bodyFile: csr.base64, cert: device.cert, key: device.key });
    return Object.assign(answer, { key });
  }

  before(async () => {
    b = await EstBench.start();
    acme = await manufacturerCa('Acme');
    rogue = await manufacturerCa('Rogue');
    await b.api(
      'POST',
      '/v1/manufacturers',
      { name: 'Acme', certificatePem: await readFile(acme.cert, 'utf8') },
      201,
    );
  });
  after(async () => {
    await b.close();
  });

  it('refuses an IDevID the operator has not claimed: 403 IDEVID_NOT_CLAIMED, nothing issued', async () => {
    const device = await idevid(acme, 'SN-0');
    const before = await b.certificateCount();
    const answer = await enrollWith(device, '/CN=SN-0');
    assert.equal(answer.status, 403, answer.body);
    assert.equal(problem(answer).code, 'IDEVID_NOT_CLAIMED');
    assert.equal(await b.certificateCount(), before);
    const devices = await b.t.panel.services.db.query("SELECT 1 FROM devices WHERE idevid_serial = 'SN-0'");
    assert.equal(devices.rows.length, 0);
  });

  it('enrolls a device claimed by its serial number and records the manufacturer and the IDevID chain', async () => {
    const device = await idevid(acme, 'SN-1');
    await b.api('POST', '/v1/devices/claims', { idevidSerial: 'SN-1', id: 'widget-1' }, 201);
    const answer = await enrollWith(device, '/CN=widget-1');
    const cert = await b.certificateFrom(answer, 'widget-1');
    const text = await run('openssl', ['x509', '-in', cert, '-noout', '-subject', '-ext', 'subjectAltName']);
    assert.match(text, /CN\s*=\s*widget-1/);
    assert.match(text, /URI:urn:palisade:device:widget-1/);

    const record = (await b.api('GET', '/v1/devices/widget-1', undefined, 200)).json() as {
      device: { state: string; manufacturer: string; idevidSerial: string };
      certificates: Array<{ issuedVia: string }>;
    };
    assert.equal(record.device.state, 'enrolled');
    assert.equal(record.device.manufacturer, 'Acme');
    assert.equal(record.device.idevidSerial, 'SN-1');
    assert.deepEqual(
      record.certificates.map((c) => c.issuedVia),
      ['simpleenroll'],
    );

    // Provenance: the IDevID and the manufacturer CA, as presented in the handshake.
    const chain = await b.t.panel.services.db.query<{ idevid_chain_pem: string }>(
      "SELECT idevid_chain_pem FROM devices WHERE id = 'widget-1'",
    );
    const stored = await b.write('widget-1-chain.pem', chain.rows[0]?.idevid_chain_pem ?? '');
    const printed = await run('sh', [
      '-c',
      `openssl crl2pkcs7 -nocrl -certfile "${stored}" | openssl pkcs7 -print_certs -noout`,
    ]);
    assert.match(printed, /subject=O\s*=\s*Acme, CN\s*=\s*Widget, serialNumber\s*=\s*SN-1/);
    assert.match(printed, /subject=O\s*=\s*Acme, CN\s*=\s*Acme Manufacturer CA/);
    const verified = await run('openssl', ['verify', '-CAfile', acme.cert, device.cert]);
    assert.match(verified, /OK/);

    // The LDevID works; the IDevID is not a device credential beyond EST bootstrap.
    assert.equal((await b.curlPath('/v1/ping', { cert, key: answer.key })).status, 200);
    const withIdevid = await b.curlPath('/v1/ping', device);
    assert.equal(withIdevid.status, 401);
  });

  it('enrolls a device claimed by its IDevID fingerprint', async () => {
    const device = await idevid(acme, 'SN-2');
    await b.api('POST', '/v1/devices/claims', { idevidFingerprint: device.fingerprint, id: 'widget-2' }, 201);
    const answer = await enrollWith(device, '/CN=widget-2');
    assert.equal(answer.status, 200, answer.body);
  });

  it('refuses an IDevID from a manufacturer CA the panel does not trust: 401', async () => {
    const device = await idevid(rogue, 'SN-3');
    await b.api('POST', '/v1/devices/claims', { idevidSerial: 'SN-3', id: 'widget-3' }, 201);
    const before = await b.certificateCount();
    const answer = await enrollWith(device, '/CN=widget-3');
    assert.equal(answer.status, 401, answer.body);
    assert.equal(problem(answer).code, 'ENROLLMENT_UNAUTHENTICATED');
    assert.equal(await b.certificateCount(), before);
  });

  it('refuses the IDevID of a decommissioned device: 403 DEVICE_NOT_ENROLLABLE', async () => {
    const device = await idevid(acme, 'SN-4');
    await b.api('POST', '/v1/devices/claims', { idevidSerial: 'SN-4', id: 'widget-4' }, 201);
    assert.equal((await enrollWith(device, '/CN=widget-4')).status, 200);
    await b.api('POST', '/v1/devices/widget-4/decommission', undefined, 200);
    const before = await b.certificateCount();
    const answer = await enrollWith(device, '/CN=widget-4');
    assert.equal(answer.status, 403, answer.body);
    assert.equal(problem(answer).code, 'DEVICE_NOT_ENROLLABLE');
    assert.equal(await b.certificateCount(), before);
  });

  it("refuses another trusted manufacturer's IDevID with the serial number of a device bound to the first", async () => {
    const other = await manufacturerCa('Initech');
    await b.api(
      'POST',
      '/v1/manufacturers',
      { name: 'Initech', certificatePem: await readFile(other.cert, 'utf8') },
      201,
    );
    await b.api('POST', '/v1/devices/claims', { idevidSerial: 'SN-8', id: 'widget-8' }, 201);
    assert.equal((await enrollWith(await idevid(acme, 'SN-8'), '/CN=widget-8')).status, 200);

    const before = await b.certificateCount();
    const since = await b.auditHead();
    const lookalike = await idevid(other, 'SN-8');
    const answer = await enrollWith(lookalike, '/CN=widget-8');
    assert.equal(answer.status, 403, answer.body);
    assert.equal(problem(answer).code, 'IDEVID_NOT_CLAIMED');
    assert.equal(await b.certificateCount(), before);
    assert.deepEqual(await b.auditedCodes(since), ['IDEVID_NOT_CLAIMED']);
    const record = (await b.api('GET', '/v1/devices/widget-8', undefined, 200)).json() as {
      device: { manufacturer: string };
    };
    assert.equal(record.device.manufacturer, 'Acme');
  });

  it('with autoClaim, enrolls an unknown IDevID and creates the device in the default group', async () => {
    const vendor = await manufacturerCa('Globex');
    await b.group('globex-fleet', { targetLevel: 'SLB' });
    await b.api(
      'POST',
      '/v1/manufacturers',
      {
        name: 'Globex',
        certificatePem: await readFile(vendor.cert, 'utf8'),
        autoClaim: true,
        defaultGroup: 'globex-fleet',
      },
      201,
    );
    const device = await idevid(vendor, 'GX-77');
    const answer = await enrollWith(device, '/CN=GX-77');
    const cert = await b.certificateFrom(answer, 'gx-77');
    assert.match(await run('openssl', ['x509', '-in', cert, '-noout', '-subject']), /CN\s*=\s*GX-77/);
    const record = (await b.api('GET', '/v1/devices/GX-77', undefined, 200)).json() as {
      device: { state: string; manufacturer: string; group: string; idevidFingerprint: string };
    };
    assert.equal(record.device.state, 'enrolled');
    assert.equal(record.device.manufacturer, 'Globex');
    assert.equal(record.device.group, 'globex-fleet');
    assert.equal(record.device.idevidFingerprint, device.fingerprint);
    const audit = await b.t.panel.services.db.query<{ actor: string }>(
      "SELECT actor FROM audit_log WHERE action = 'device.claim' AND target = 'device:GX-77'",
    );
    assert.deepEqual(
      audit.rows.map((r) => r.actor),
      ['manufacturer:Globex'],
    );
  });
});
