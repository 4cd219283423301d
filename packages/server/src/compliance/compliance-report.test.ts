import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand, startTestPanel, type TestPanel } from '@palisade/testkit';
import {
  GROUP,
  NEW_DEVICE,
  reportInventory,
  SOFT_DEVICE,
  seedFleet,
  TPM_DEVICE,
} from './compliance-test-fleet.ts';

/** `openssl cms -verify` over a report and its detached signature, against the panel's root CA only. */
function opensslVerify(
  dir: string,
  report: string,
  signature: string,
): { status: number | null; stderr: string } {
  const result = spawnSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      join(dir, signature),
      '-content',
      join(dir, report),
      '-CAfile',
      join(dir, 'root-ca.pem'),
      '-out',
      '/dev/null',
    ],
    { encoding: 'utf8' },
  );
  return { status: result.status, stderr: result.stderr };
}

describe('compliance reports', () => {
  let t: TestPanel;
  let viewer: string;
  let dir: string;

  before(async () => {
    t = await startTestPanel();
    await seedFleet(t.panel.services);
    // A device's own words reach the report: they must stay text.
    await reportInventory(t.panel.services, SOFT_DEVICE, {
      secureBoot: { known: false, reason: '<script>alert("x")</script> & more' },
    });
    await t.panel.services.compliance.settled();
    viewer = await t.operatorToken('report-viewer', 'viewer');
    dir = await mkdtemp(join(tmpdir(), 'palisade-report-'));
    await writeFile(join(dir, 'root-ca.pem'), t.panel.services.ca.root.certificatePem);
  });
  after(async () => {
    await t[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  async function download(format: string) {
    const response = await t.inject('GET', `/v1/compliance/report?group=${GROUP}&format=${format}`, {
      token: viewer,
    });
    assert.equal(response.statusCode, 200, response.body.slice(0, 500));
    const id = String(response.headers['x-palisade-report-id']);
    const signature = await t.inject('GET', String(response.headers['x-palisade-report-signature']), {
      token: viewer,
    });
    assert.equal(signature.statusCode, 200);
    assert.equal(signature.headers['content-type'], 'application/pkcs7-signature');
    return { response, id, content: response.rawPayload, signature: signature.rawPayload };
  }

  it('hands out an HTML matrix per group and per device, self-contained and escaped', async () => {
    const { response, content } = await download('html');
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(
      String(response.headers['content-disposition']),
      /^attachment; filename="palisade-compliance-plant-a-\d{4}-\d\d-\d\d\.html"$/,
    );
    assert.match(String(response.headers['content-security-policy']), /default-src 'none'/);
    const html = content.toString('utf8');
    for (const device of [TPM_DEVICE, SOFT_DEVICE, NEW_DEVICE])
      assert.ok(html.includes(`Device ${device}`), device);
    assert.ok(
      html.includes('<th>Control</th><th>Title</th><th>Status</th><th>Evidence</th><th>Comment</th>'),
    );
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more'));
    assert.doesNotMatch(html, /<script|<link|src=|https?:\/\//i);
  });

  it('signs it so that openssl cms -verify accepts it with the root CA, and refuses it once one byte changes', {
    skip: skipUnlessCommand('openssl', ['version']),
  }, async () => {
    const { content, signature } = await download('html');
    await writeFile(join(dir, 'report.html'), content);
    await writeFile(join(dir, 'report.html.p7s'), signature);
    const verified = opensslVerify(dir, 'report.html', 'report.html.p7s');
    assert.equal(verified.status, 0, verified.stderr);
    const tampered = Buffer.from(content);
    const middle = Math.floor(tampered.length / 2);
    tampered.writeUInt8(tampered.readUInt8(middle) ^ 0x01, middle);
    await writeFile(join(dir, 'tampered.html'), tampered);
    const refused = opensslVerify(dir, 'tampered.html', 'report.html.p7s');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /verification failure/);
  });

  it('serves the same bytes again by report ID, and audits who generated which report', async () => {
    const { id, content } = await download('csv');
    const again = await t.inject('GET', `/v1/compliance/reports/${id}`, { token: viewer });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.rawPayload, content);
    const [entry] = await t.panel.services.audit.list({ limit: 1, action: 'compliance.report' });
    assert.equal(entry?.actor, 'operator:report-viewer');
    assert.equal(entry?.target, `group:${GROUP}`);
    assert.equal(entry?.details?.reportId, id);
    assert.equal(entry?.details?.format, 'csv');
  });

  it('writes one CSV row per device and control', async () => {
    const { content } = await download('csv');
    const lines = content.toString('utf8').trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'group,target_level,device,device_state,achieved_level,control,title,required_at_target,status,reason,remedy,evidence,evaluated_at',
    );
    assert.equal(lines.length, 1 + 3 * 29);
    assert.ok(
      lines.some((l) =>
        l.startsWith(`plant-a,SLE,${TPM_DEVICE},enrolled,none,RT-3,Hardware root of trust,yes,met,`),
      ),
    );
  });

  it('answers JSON with the group matrix and every device control by control', async () => {
    const { content } = await download('json');
    const report = JSON.parse(content.toString('utf8'));
    assert.equal(report.group.targetLevel, 'SLE');
    assert.equal(report.summary.devices, 3);
    assert.equal(report.controls.length, 29);
    assert.equal(report.controls.find((c: { id: string }) => c.id === 'SI-4').counts.not_met, 3);
    assert.deepEqual(
      report.devices.map((d: { id: string }) => d.id),
      [NEW_DEVICE, SOFT_DEVICE, TPM_DEVICE],
    );
  });

  it('prints the report to PDF whose rows pdftotext finds, signed like the others', {
    skip: skipUnlessCommand('pdftotext', ['-v']) || skipUnlessCommand('/usr/bin/chromium', ['--version']),
  }, async () => {
    const { response, content, signature } = await download('pdf');
    assert.equal(response.headers['content-type'], 'application/pdf');
    assert.equal(content.subarray(0, 5).toString('latin1'), '%PDF-');
    await writeFile(join(dir, 'report.pdf'), content);
    await writeFile(join(dir, 'report.pdf.p7s'), signature);
    const text = spawnSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], {
      encoding: 'utf8',
    }).stdout;
    assert.match(text, /Compliance report: group plant-a/);
    for (const device of [TPM_DEVICE, SOFT_DEVICE, NEW_DEVICE])
      assert.match(text, new RegExp(`Device ${device}`));
    assert.match(text, /RT-3\s+Hardware root of trust/);
    assert.match(text, /SI-4\s+Events exported to a SIEM/);
    if (!skipUnlessCommand('openssl', ['version'])) {
      const verified = opensslVerify(dir, 'report.pdf', 'report.pdf.p7s');
      assert.equal(verified.status, 0, verified.stderr);
    }
  });

  it('answers 404 REPORT_NOT_FOUND for a report that was never generated', async () => {
    const response = await t.inject(
      'GET',
      '/v1/compliance/reports/0190b6f2-8c3e-7a41-9d2b-5f0e4c3a2b1d/signature',
      {
        token: viewer,
      },
    );
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'REPORT_NOT_FOUND');
  });

  it('refuses a report format it does not know with 400 VALIDATION_FAILED', async () => {
    const response = await t.inject('GET', `/v1/compliance/report?group=${GROUP}&format=docx`, {
      token: viewer,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'VALIDATION_FAILED');
  });
});
