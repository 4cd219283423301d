/**
 * The OpenSSL side of OCSP benchmarks: a throwaway CA made with the
 * `openssl` command line tool (root → issuing CA → delegated OCSP responder
 * and device certificates, all ECDSA P-256 / SHA-256 like the panel's), its
 * `index.txt` kept by `openssl ca` itself, OCSP requests made by
 * `openssl ocsp -reqout`, and `openssl ocsp -index … -port …` as a responder.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ownChild } from './owned-children.ts';
import { childPids } from './process-cpu.ts';

const run = promisify(execFile);

async function openssl(args: readonly string[], cwd?: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('openssl', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
  }
}

/** The installed `openssl` command's version line, e.g. `OpenSSL 3.0.19 27 Jan 2026 (Library: …)`. */
export async function opensslVersion(): Promise<string> {
  return (await openssl(['version'])).trim();
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export interface ReferenceCa {
  readonly dir: string;
  /** Root and issuing CA certificates, PEM, for `-CAfile`. */
  readonly chainPath: string;
  readonly issuingCertPath: string;
  /** The delegated responder (EKU OCSPSigning, ocsp-nocheck), for `-rsigner` / `-rkey`. */
  readonly responderCertPath: string;
  readonly responderKeyPath: string;
  /** The CA database `openssl ca` keeps: one line per certificate, V(alid) or R(evoked). */
  readonly indexPath: string;
  /** One device certificate per entry, with its status in index.txt. */
  readonly devices: readonly {
    readonly name: string;
    readonly certPath: string;
    readonly revoked: boolean;
  }[];
}

/**
 * A CA equivalent to the panel's for OCSP purposes: ECDSA P-256 root and
 * issuing CA, a delegated OCSP responder certificate issued by the issuing CA
 * (as the panel has), and device certificates issued with `openssl ca`
 * (random serials, `index.txt` maintained by OpenSSL), the ones named in
 * `revoke` revoked with reason keyCompromise.
 */
export async function createReferenceCa(
  dir: string,
  deviceNames: readonly string[],
  revoke: ReadonlySet<string>,
): Promise<ReferenceCa> {
  await mkdir(join(dir, 'newcerts'), { recursive: true });
  const path = (name: string) => join(dir, name);
  await openssl([
    'req',
    '-x509',
    ...P256,
    '-keyout',
    path('root.key'),
    '-out',
    path('root.pem'),
    '-days',
    '30',
    '-subj',
    '/CN=Bench Root CA/O=Bench',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(
    path('ca-ext.cnf'),
    [
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE,pathlen:0',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  await openssl([
    'req',
    '-new',
    ...P256,
    '-keyout',
    path('issuing.key'),
    '-out',
    path('issuing.csr'),
    '-subj',
    '/CN=Bench Issuing CA/O=Bench',
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    path('issuing.csr'),
    '-CA',
    path('root.pem'),
    '-CAkey',
    path('root.key'),
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '30',
    '-sha256',
    '-extfile',
    path('ca-ext.cnf'),
    '-extensions',
    'ca_ext',
    '-out',
    path('issuing.pem'),
  ]);
  await writeFile(path('index.txt'), '');
  await writeFile(
    path('ca.cnf'),
    [
      '[ca]',
      'default_ca = bench',
      '[bench]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/newcerts',
      'certificate = $dir/issuing.pem',
      'private_key = $dir/issuing.key',
      'default_md = sha256',
      'default_days = 30',
      'policy = policy_any',
      'unique_subject = no',
      'rand_serial = yes',
      '[policy_any]',
      'commonName = supplied',
      'organizationName = optional',
      '[device_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = clientAuth',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[ocsp_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = OCSPSigning',
      'noCheck = ignored',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const issue = async (name: string, subject: string, extensions: string) => {
    await openssl([
      'req',
      '-new',
      ...P256,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
      '-subj',
      subject,
    ]);
    await openssl([
      'ca',
      '-batch',
      '-config',
      path('ca.cnf'),
      '-in',
      path(`${name}.csr`),
      '-out',
      path(`${name}.pem`),
      '-extensions',
      extensions,
      '-notext',
    ]);
  };
  await issue('responder', '/CN=Bench OCSP Responder/O=Bench', 'ocsp_ext');
  const devices = [];
  for (const name of deviceNames) {
    await issue(name, `/CN=${name}`, 'device_ext');
    if (revoke.has(name)) {
      await openssl([
        'ca',
        '-batch',
        '-config',
        path('ca.cnf'),
        '-revoke',
        path(`${name}.pem`),
        '-crl_reason',
        'keyCompromise',
      ]);
    }
    devices.push({ name, certPath: path(`${name}.pem`), revoked: revoke.has(name) });
  }
  await writeFile(
    path('chain.pem'),
    (await readFile(path('root.pem'), 'utf8')) + (await readFile(path('issuing.pem'), 'utf8')),
  );
  return {
    dir,
    chainPath: path('chain.pem'),
    issuingCertPath: path('issuing.pem'),
    responderCertPath: path('responder.pem'),
    responderKeyPath: path('responder.key'),
    indexPath: path('index.txt'),
    devices,
  };
}

/** `openssl ocsp -issuer … -cert … -reqout …` (`-no_nonce` unless `nonce`): one CertID, SHA-1 as OpenSSL defaults to. */
export async function buildOcspRequest(
  issuerPath: string,
  certPath: string,
  outPath: string,
  nonce: boolean,
): Promise<Buffer> {
  await openssl([
    'ocsp',
    '-issuer',
    issuerPath,
    '-cert',
    certPath,
    '-reqout',
    outPath,
    ...(nonce ? [] : ['-no_nonce']),
  ]);
  return readFile(outPath);
}

/**
 * Asks `url` about the certificates with `openssl ocsp` as the client,
 * verifying the response against `caFile`, and returns each certificate's
 * status as OpenSSL reports it (`good`, `revoked`, `unknown`). Throws when
 * the response does not verify.
 */
export async function opensslOcspStatuses(
  url: string,
  issuerPath: string,
  certPaths: readonly string[],
  caFile: string,
): Promise<string[]> {
  const output = await openssl([
    'ocsp',
    '-issuer',
    issuerPath,
    ...certPaths.flatMap((cert) => ['-cert', cert]),
    '-url',
    url,
    '-CAfile',
    caFile,
  ]);
  if (!/Response verify OK/.test(output)) throw new Error(`OCSP response did not verify:\n${output}`);
  return certPaths.map((cert) => {
    const line = output.split('\n').find((l) => l.startsWith(`${cert}: `));
    if (!line) throw new Error(`no status for ${cert} in:\n${output}`);
    return line.slice(cert.length + 2).trim();
  });
}

export interface OpensslOcspResponder {
  /** The parent process; with `-multi N` the work is done by its N children. */
  readonly pid: number;
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  stop(): Promise<void>;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * `openssl ocsp -index <index.txt> -port 0 -rsigner … -rkey … -CA <issuing>
 * -nmin 60 -resp_key_id [-multi N]`, listening on an ephemeral port (it
 * prints `ACCEPT [::]:<port> PID=<pid>`). `-nmin 60` and `-resp_key_id`
 * make its answers carry a nextUpdate one hour on and a responder ID by key
 * hash, as the panel's do. It answers one request per connection (HTTP/1.0,
 * then closes).
 *
 * Stopping: SIGTERM to the parent, which passes it to its children; a child
 * that is spinning on a connection the client dropped mid-request ignores it
 * (openssl/openssl#23934, #31129), so any child still there after a second
 * gets SIGKILL, by its own pid.
 */
export async function startOpensslOcspResponder(options: {
  readonly ca: ReferenceCa;
  readonly multi?: number;
}): Promise<OpensslOcspResponder> {
  const { ca } = options;
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      ca.indexPath,
      '-port',
      '0',
      '-rsigner',
      ca.responderCertPath,
      '-rkey',
      ca.responderKeyPath,
      '-CA',
      ca.issuingCertPath,
      '-nmin',
      '60',
      '-resp_key_id',
      ...(options.multi === undefined ? [] : ['-multi', String(options.multi)]),
    ],
    { cwd: ca.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  ownChild(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`openssl ocsp did not listen within 10 s: ${stderr}`)),
      10_000,
    );
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`openssl ocsp exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      const match = /^ACCEPT .*:(\d+) PID=/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  // With -multi the children are forked after the ACCEPT line; wait until they are there.
  const wanted = options.multi ?? 0;
  for (let i = 0; i < 100 && childPids(child.pid as number).length < wanted; i++) await sleep(10);
  child.stdout.resume();
  return {
    pid: child.pid as number,
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      const kids = childPids(child.pid as number);
      if (alive(child)) child.kill('SIGTERM');
      await Promise.race([exit, sleep(1000)]);
      for (const kid of kids) {
        try {
          process.kill(kid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (alive(child)) {
        await Promise.race([exit, sleep(2000)]);
        if (alive(child)) child.kill('SIGKILL');
      }
      await exit;
    },
  };
}
