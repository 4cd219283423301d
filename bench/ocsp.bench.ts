/**
 * ocsp: OCSP responses per second from the panel's responder (`POST /ocsp`
 * on its plain-HTTP listener) for good and revoked device certificates,
 * compared with `openssl ocsp` as a responder on an equivalent CA index,
 * same load generator and concurrency, measured in the same run. See
 * bench/README.md.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { openBenchDatabase } from './lib/bench-database.ts';
import { emitResult } from './lib/bench-result.ts';
import { certificatesOf, deviceCsrBase64, simpleEnroll } from './lib/est-client.ts';
import { callJson } from './lib/https-json.ts';
import { type LoadFigures, type LoadSettings, runLoad } from './lib/load-run.ts';
import { machineFacts } from './lib/machine.ts';
import {
  buildOcspRequest,
  createReferenceCa,
  opensslOcspStatuses,
  opensslVersion,
  startOpensslOcspResponder,
} from './lib/openssl-ocsp.ts';
import { benchSecrets, startPanelProcess, stopPanelCleanly } from './lib/panel-process.ts';
import { progressReporter } from './lib/progress.ts';
import { roundFigure } from './lib/stats.ts';
import { createWorkDir } from './lib/work-dir.ts';

const NAME = 'ocsp';
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** Devices on each side; every other one is revoked (keyCompromise). */
const DEVICES = Number(process.env.BENCH_OCSP_DEVICES ?? 4);
/** `openssl ocsp -multi N`: worker processes, one per CPU by default (2 here). */
const OPENSSL_WORKERS = Number(process.env.BENCH_OPENSSL_OCSP_MULTI ?? 2);
const TARGET_RATIO = 5;
const CONTENT_TYPE = { 'content-type': 'application/ocsp-request' };

const progress = progressReporter(NAME);

type Variant = 'noNonce' | 'nonce';

function checkClean(label: string, figures: LoadFigures): LoadFigures {
  progress(
    `${label}: ${figures.requestsPerSec} responses/s, p50 ${figures.latencyP50Ms} ms, p99 ${figures.latencyP99Ms} ms` +
      `${figures.serverCpuMicrosPerRequest === undefined ? '' : `, server ${figures.serverCpuMicrosPerRequest} µs CPU/response`}`,
  );
  if (figures.non2xx > 0 || figures.errors > 0 || figures.timeouts > 0) {
    throw new Error(
      `${label}: ${figures.non2xx} non-2xx responses, ${figures.errors} errors, ${figures.timeouts} timeouts invalidate the run`,
    );
  }
  return figures;
}

/** Every connection cycles through one request per device (good and revoked alike). */
function requestsFor(bodies: readonly Buffer[], extraHeaders: Record<string, string> = {}) {
  return bodies.map((body) => ({
    method: 'POST' as const,
    headers: { ...CONTENT_TYPE, ...extraHeaders },
    body,
  }));
}

await using work = await createWorkDir(NAME);
await using database = await openBenchDatabase();
const secrets = benchSecrets();
const dataDir = join(work.path, 'data');
const profileDir = process.env.BENCH_CPU_PROF;
progress(`starting the panel on an empty data directory (${database.description})`);
const panel = await startPanelProcess({
  dataDir,
  secrets,
  logPrefix: join(work.path, 'panel'),
  ...(database.url === undefined ? {} : { databaseUrl: database.url }),
  ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
});
await using _panel = panel;
const ca = panel.rootCaPem;
const api = (path: string) => `${panel.operatorUrl}${path}`;
const agent = new Agent({ keepAlive: true, ca });
const admin = (
  await callJson<{ token: string }>(api('/v1/auth/login'), {
    body: { username: 'admin', password: secrets.adminPassword, mode: 'token' },
    ca,
    agent,
  })
).json.token;

// Panel side: devices enrolled over EST, every other one revoked through the operator API.
const names = Array.from({ length: DEVICES }, (_, i) => `ocsp-dev-${i + 1}`);
const revoked = new Set(names.filter((_, i) => i % 2 === 1));
const panelDir = join(work.path, 'panel-side');
await mkdir(panelDir, { recursive: true });
const issuingPath = join(dataDir, 'ca/issuing-ca.pem');
const chainPath = join(panelDir, 'chain.pem');
await writeFile(chainPath, ca + (await readFile(issuingPath, 'utf8')));
progress(`panel: enrolling ${DEVICES} devices over EST, revoking ${revoked.size} (keyCompromise)`);
const panelCerts: string[] = [];
let aiaOcspUrl: string | undefined;
for (const id of names) {
  await callJson(api('/v1/devices'), { body: { id }, bearer: admin, ca, agent });
  const { token } = (
    await callJson<{ token: string }>(api(`/v1/devices/${id}/enrollment-token`), {
      body: {},
      bearer: admin,
      ca,
      agent,
    })
  ).json;
  const answer = await simpleEnroll(panel.deviceUrl, token, await deviceCsrBase64(id), ca);
  if (answer.status !== 200) throw new Error(`enrollment of ${id} failed: ${answer.status} ${answer.body}`);
  const [certificate] = certificatesOf(answer.body);
  if (!certificate) throw new Error(`no certificate in the EST answer for ${id}`);
  const certPath = join(panelDir, `${id}.pem`);
  await writeFile(certPath, `${certificate.toString('pem')}\n`);
  panelCerts.push(certPath);
  aiaOcspUrl ??= /OCSP: (\S+)/.exec(
    certificate.getExtension('1.3.6.1.5.5.7.1.1')?.toString('text') ?? '',
  )?.[1];
}
for (const id of revoked) {
  await callJson(api(`/v1/devices/${id}/revoke`), {
    body: { reason: 'keyCompromise' },
    bearer: admin,
    ca,
    agent,
  });
}
agent.destroy();

// Where the panel answers OCSP: the "panel ready" line's httpUrl, or else the certificates' AIA.
let ocspUrl: string;
let ocspUrlSource: string;
if (panel.httpUrl !== undefined) {
  ocspUrl = `${panel.httpUrl}/ocsp`;
  ocspUrlSource = 'httpUrl of the "panel ready" log line';
} else if (aiaOcspUrl !== undefined) {
  const aia = new URL(aiaOcspUrl);
  ocspUrl = `http://127.0.0.1:${aia.port}${aia.pathname}`;
  ocspUrlSource = `the device certificates' AIA (${aiaOcspUrl}), host replaced by 127.0.0.1`;
} else {
  throw new Error('neither the "panel ready" line nor the certificates name the OCSP URL');
}
progress(`panel OCSP at ${ocspUrl} (from ${ocspUrlSource})`);

// Reference side: the same number of certificates and statuses in an OpenSSL CA index.
progress(`reference: throwaway CA, ${DEVICES} device certificates with openssl ca, ${revoked.size} revoked`);
const reference = await createReferenceCa(join(work.path, 'openssl-side'), names, revoked);

// Requests, built with openssl ocsp -reqout for each side's own issuer.
const requests = async (issuer: string, certs: readonly string[], dir: string, nonce: boolean) =>
  Promise.all(
    certs.map((cert, i) =>
      buildOcspRequest(issuer, cert, join(dir, `req-${i + 1}${nonce ? '-nonce' : ''}.der`), nonce),
    ),
  );
const bodies: Record<'panel' | 'openssl', Record<Variant, Buffer[]>> = {
  panel: {
    noNonce: await requests(issuingPath, panelCerts, panelDir, false),
    nonce: await requests(issuingPath, panelCerts, panelDir, true),
  },
  openssl: {
    noNonce: await requests(
      reference.issuingCertPath,
      reference.devices.map((d) => d.certPath),
      reference.dir,
      false,
    ),
    nonce: await requests(
      reference.issuingCertPath,
      reference.devices.map((d) => d.certPath),
      reference.dir,
      true,
    ),
  },
};

// Both sides must give the same answers, verified by openssl ocsp as the client.
const expected = names.map((n) => (revoked.has(n) ? 'revoked' : 'good'));
const panelStatuses = await opensslOcspStatuses(ocspUrl, issuingPath, panelCerts, chainPath);
const responderVersion = await opensslVersion();
const probe = await startOpensslOcspResponder({ ca: reference, multi: OPENSSL_WORKERS });
const referenceStatuses = await opensslOcspStatuses(
  probe.url,
  reference.issuingCertPath,
  reference.devices.map((d) => d.certPath),
  reference.chainPath,
);
await probe.stop();
for (const [side, statuses] of [
  ['panel', panelStatuses],
  ['openssl', referenceStatuses],
] as const) {
  if (statuses.join() !== expected.join())
    throw new Error(`${side} answered ${statuses.join(', ')}, expected ${expected.join(', ')}`);
}
progress(`both sides verified by openssl ocsp: ${expected.join(', ')}`);

const responseBytes = async (url: string, body: Buffer) => {
  const response = await fetch(url, { method: 'POST', headers: CONTENT_TYPE, body });
  if (response.headers.get('content-type') !== 'application/ocsp-response')
    throw new Error(`${url} answered ${response.status} ${response.headers.get('content-type')}`);
  return (await response.arrayBuffer()).byteLength;
};

const panelLoad = (variant: Variant, extraHeaders?: Record<string, string>): LoadSettings => ({
  url: ocspUrl,
  method: 'POST',
  requests: requestsFor(bodies.panel[variant], extraHeaders),
  connections: CONNECTIONS,
  durationSeconds: DURATION_SECONDS,
  serverPid: panel.pid,
});

/** The panel: a warm-up (JIT, caches) then the measured run. */
async function measurePanel(variant: Variant, label: string, extraHeaders?: Record<string, string>) {
  progress(`${label}: ${WARMUP_SECONDS} s warm-up, then ${DURATION_SECONDS} s, ${CONNECTIONS} connections`);
  await runLoad({ ...panelLoad(variant, extraHeaders), durationSeconds: WARMUP_SECONDS });
  return checkClean(label, await runLoad(panelLoad(variant, extraHeaders)));
}

/**
 * openssl ocsp: a fresh responder per run, because a worker that sees a
 * client drop a connection mid-request (as autocannon does when a run ends)
 * can spin forever (openssl/openssl#23934, #31129). No warm-up: compiled C,
 * and its workers are forked before the run starts.
 */
async function measureOpenssl(variant: Variant, label: string) {
  const responder = await startOpensslOcspResponder({ ca: reference, multi: OPENSSL_WORKERS });
  try {
    const bytes = await responseBytes(responder.url, bodies.openssl[variant][0] as Buffer);
    progress(`${label}: ${DURATION_SECONDS} s, ${CONNECTIONS} connections (-multi ${OPENSSL_WORKERS})`);
    const figures = checkClean(
      label,
      await runLoad({
        url: responder.url,
        method: 'POST',
        requests: requestsFor(bodies.openssl[variant]),
        connections: CONNECTIONS,
        durationSeconds: DURATION_SECONDS,
        serverPid: responder.pid,
        serverTree: true,
      }),
    );
    return { figures, bytes };
  } finally {
    await responder.stop();
  }
}

const panelBytes = {
  noNonce: await responseBytes(ocspUrl, bodies.panel.noNonce[0] as Buffer),
  nonce: await responseBytes(ocspUrl, bodies.panel.nonce[0] as Buffer),
};
const panelNonce = await measurePanel('nonce', 'panel, nonce');
const opensslNonce = await measureOpenssl('nonce', 'openssl, nonce');
const panelNoNonce = await measurePanel('noNonce', 'panel, no nonce (cached)');
const opensslNoNonce = await measureOpenssl('noNonce', 'openssl, no nonce');
// As openssl works: one connection per request (the client asks the panel to close after each answer).
const panelClose = await measurePanel('noNonce', 'panel, no nonce, Connection: close', {
  connection: 'close',
});
await stopPanelCleanly(panel);

// Equal work is one signed response per request. With a nonce both sides must sign every answer;
// without one the panel answers repeated requests from its response cache (OcspResponseCache, 1 s),
// while openssl ocsp signs every time, so the no-nonce comparison is not equal work.
const ratio = panelNonce.requestsPerSec / opensslNonce.figures.requestsPerSec;
const noNonceRatio = panelNoNonce.requestsPerSec / opensslNoNonce.figures.requestsPerSec;
const optional = (key: string, value: number | undefined) => (value === undefined ? {} : { [key]: value });
const side = (prefix: string, figures: LoadFigures, bytes?: number) => ({
  [`${prefix}ResponsesPerSec`]: figures.requestsPerSec,
  [`${prefix}LatencyP50Ms`]: figures.latencyP50Ms,
  [`${prefix}LatencyP99Ms`]: figures.latencyP99Ms,
  ...optional(`${prefix}CpuMicrosPerResponse`, figures.serverCpuMicrosPerRequest),
  ...optional(`${prefix}CpuPercent`, figures.serverCpuPercent),
  [`${prefix}LoadGeneratorCpuPercent`]: figures.loadGeneratorCpuPercent,
  [`${prefix}Responses`]: figures.requests,
  ...optional(`${prefix}ResponseBytes`, bytes),
});
emitResult({
  name: NAME,
  machine: machineFacts(),
  figures: {
    ...side('nonce', panelNonce, panelBytes.nonce),
    ...side('noNonce', panelNoNonce, panelBytes.noNonce),
    noNonceRatio: roundFigure(noNonceRatio),
    ...side('connectionClose', panelClose),
    connectionCloseRatio: roundFigure(panelClose.requestsPerSec / opensslNoNonce.figures.requestsPerSec),
    devices: DEVICES,
    revokedDevices: revoked.size,
    connections: CONNECTIONS,
    durationSeconds: DURATION_SECONDS,
    postgres: database.kind === 'postgres' ? 1 : 0,
  },
  reference: {
    what: `${responderVersion}: openssl ocsp -index index.txt -port 0 -rsigner -rkey -CA issuing.pem -nmin 60 -resp_key_id -multi ${OPENSSL_WORKERS} (delegated ECDSA P-256 responder, ${OPENSSL_WORKERS} worker processes, one request per connection, every response signed)`,
    figures: {
      ...side('nonce', opensslNonce.figures, opensslNonce.bytes),
      ...side('noNonce', opensslNoNonce.figures, opensslNoNonce.bytes),
    },
  },
  ratio: roundFigure(ratio),
  target: {
    description: `panel responses/s ≥ ${TARGET_RATIO} × openssl ocsp, with nonce (equal work) and without`,
    value: TARGET_RATIO,
  },
  pass: ratio >= TARGET_RATIO && noNonceRatio >= TARGET_RATIO,
  method:
    `Panel started as \`palisade server\` (--log-level info, --http-port 0) on an empty data directory ` +
    `(${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}); ${DEVICES} devices enrolled over EST ` +
    `(simpleenroll, token), ${revoked.size} of them revoked (POST /v1/devices/<id>/revoke, keyCompromise). ` +
    `OCSP URL from ${ocspUrlSource}. Reference: a throwaway ECDSA P-256 root and issuing CA made with ` +
    `openssl, a delegated responder certificate (EKU OCSPSigning, ocsp-nocheck) like the panel's, and ` +
    `${DEVICES} device certificates issued and ${revoked.size} revoked (keyCompromise) with \`openssl ca\`, ` +
    `which writes index.txt. Requests: \`openssl ocsp -issuer <issuing> -cert <device> -reqout req.der\` ` +
    `per device and side, with a nonce (the default) and with -no_nonce. Both sides checked first with ` +
    `\`openssl ocsp -url … -CAfile …\` as the client (responses verify, statuses equal). Load: autocannon ` +
    `(programmatic, in the benchmark process), POST, Content-Type application/ocsp-request, ${CONNECTIONS} ` +
    `connections, no pipelining, each connection cycling through the ${DEVICES} requests (replayed as ` +
    `built, nonce included); panel: ${WARMUP_SECONDS} s warm-up then ${DURATION_SECONDS} s; openssl: a ` +
    `fresh responder per run (-multi ${OPENSSL_WORKERS}: ${OPENSSL_WORKERS} forked workers, one per ` +
    `core), ${DURATION_SECONDS} s. Headline and ratio: with a nonce, where both sides sign every response ` +
    `(equal work). Without a nonce the panel answers repeated requests from its 1-s response cache and ` +
    `openssl still signs each one (noNonce*, not equal work). openssl answers HTTP/1.0 and closes every ` +
    `connection, the panel keeps connections alive; connectionClose* measures the panel (no nonce) with ` +
    `\`Connection: close\` on every request, one TCP connection per response like openssl. autocannon is ` +
    `patched (bench/lib/load-run.ts closeAware) to wait for the new connection instead of writing onto the ` +
    `closing one, which otherwise corrupts its latencies and counts resets as errors. responses/s = mean ` +
    `of per-second samples; server CPU from /proc (openssl: the parent and its workers). Any non-2xx, ` +
    `error or timeout aborts the run.`,
});
