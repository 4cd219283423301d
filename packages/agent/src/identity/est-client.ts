import { request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { AgentError } from '../agent-error.ts';
import { MAX_PANEL_ANSWER_BYTES, type PanelAnswer, refusal } from '../channel/panel-client.ts';
import {
  type ClientIdentity,
  channelBindingOf,
  openPanelTls,
  type PanelEndpoint,
} from '../channel/panel-tls.ts';

/** How the device proves who it is when it asks for a certificate (RFC 7030 §3.2.3, §3.3). */
export type EstCredential =
  | { readonly kind: 'token'; readonly deviceId: string; readonly token: string }
  /** The IDevID (or the current LDevID for re-enrollment) in the TLS handshake. */
  | { readonly kind: 'certificate'; readonly identity: ClientIdentity };

export type EstOutcome =
  | { readonly kind: 'issued'; readonly certificatePem: string; readonly chainPem: readonly string[] }
  /** RFC 7030 §4.2.3: accepted for manual approval; send the same CSR again after this many seconds. */
  | { readonly kind: 'pending'; readonly retryAfterSeconds: number; readonly csrDer: Uint8Array };

export interface EstEnrollment {
  readonly endpoint: PanelEndpoint;
  readonly operation: 'simpleenroll' | 'simplereenroll';
  readonly credential: EstCredential;
  /** Makes the CSR once the TLS session exists, with its channel binding (base64) when there is one. */
  readonly csrFor: (channelBinding: string | undefined) => Promise<Uint8Array>;
  /** A held request's CSR, sent again as is (its binding was checked on the session that submitted it). */
  readonly resubmit?: Uint8Array;
  /** `/.well-known/est/<label>/…`: the device group's EST profile. */
  readonly label?: string;
}

/** The longest Retry-After the agent honours; a panel asking for more is capped, not obeyed blindly. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * One EST enrollment over a fresh TLS connection: the CSR is made after the
 * handshake so that it can carry the session's channel binding, then sent
 * on that same connection.
 */
export async function estEnroll(enrollment: EstEnrollment): Promise<EstOutcome> {
  const { endpoint, credential } = enrollment;
  const socket = await openPanelTls(
    endpoint,
    credential.kind === 'certificate' ? credential.identity : undefined,
  );
  try {
    const csrDer =
      enrollment.resubmit ??
      (await enrollment.csrFor(
        ((binding) => (binding ? Buffer.from(binding).toString('base64') : undefined))(
          channelBindingOf(socket),
        ),
      ));
    const path = `/.well-known/est${enrollment.label ? `/${enrollment.label}` : ''}/${enrollment.operation}`;
    const body = Buffer.from(csrDer).toString('base64');
    const answer = await exchange(socket, endpoint, {
      path,
      body,
      headers: {
        'content-type': 'application/pkcs10',
        ...(credential.kind === 'token'
          ? {
              authorization: `Basic ${Buffer.from(`${credential.deviceId}:${credential.token}`).toString('base64')}`,
            }
          : {}),
      },
    });
    if (answer.status === 202) {
      const retryAfter = Number(answer.headers['retry-after']);
      return {
        kind: 'pending',
        retryAfterSeconds:
          Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, MAX_RETRY_AFTER_SECONDS) : 60,
        csrDer,
      };
    }
    if (answer.status !== 200) throw refusal(answer, enrollment.operation);
    return await parseIssued(answer);
  } finally {
    socket.destroy();
  }
}

/** RFC 7030 §4.2.3: a base64 certs-only PKCS#7 (application/pkcs7-mime; smime-type=certs-only). */
async function parseIssued(answer: PanelAnswer): Promise<EstOutcome> {
  // The X.509 stack is loaded only when a certificate arrives (enrollment, renewal): an agent
  // spends its life between those, and the library costs megabytes of memory.
  const { x509 } = await import('./x509.ts');
  if (!answer.contentType.startsWith('application/pkcs7-mime')) {
    throw new AgentError(
      'PANEL_ANSWER_INVALID',
      `EST answered 200 with "${answer.contentType}", not a PKCS#7`,
    );
  }
  let certificates: InstanceType<typeof x509.X509Certificates>;
  try {
    certificates = new x509.X509Certificates(
      Buffer.from(answer.body.toString('latin1').replace(/\s+/g, ''), 'base64'),
    );
  } catch (error) {
    throw new AgentError('PANEL_ANSWER_INVALID', 'the EST answer is not a readable PKCS#7 certs-only', {
      cause: error,
    });
  }
  const [leaf, ...chain] = certificates;
  if (!leaf) throw new AgentError('PANEL_ANSWER_INVALID', 'the EST answer holds no certificate');
  return {
    kind: 'issued',
    certificatePem: `${leaf.toString('pem')}\n`,
    chainPem: chain.map((c) => `${c.toString('pem')}\n`),
  };
}

function exchange(
  socket: TLSSocket | Duplex,
  endpoint: PanelEndpoint,
  request: { path: string; body: string; headers: Record<string, string> },
): Promise<PanelAnswer> {
  const url = new URL(request.path, endpoint.url);
  return new Promise((resolve, reject) => {
    // Plain http over our own TLS socket: the URL's https: scheme is already honoured by openPanelTls.
    const sent = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      // No agent: with one (even agent: false) Node ignores createConnection and dials a new TCP socket.
      createConnection: () => socket,
      timeout: 60_000,
      headers: {
        host: url.host,
        ...request.headers,
        'content-length': String(Buffer.byteLength(request.body)),
      },
    });
    sent.on('timeout', () => sent.destroy(new Error('no EST answer within 60 s')));
    sent.on('error', (error) =>
      reject(new AgentError('PANEL_UNREACHABLE', `EST ${request.path}: ${error.message}`, { cause: error })),
    );
    sent.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_PANEL_ANSWER_BYTES) {
          response.destroy();
          reject(new AgentError('PANEL_ANSWER_INVALID', 'the EST answer is too large'));
        } else chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'] ?? '',
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
    });
    sent.end(request.body);
  });
}
