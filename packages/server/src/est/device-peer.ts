import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { DeviceRegistry } from '../devices/index.ts';
import { type CertificateAuthority, normalizeSerial } from '../pki/index.ts';

/** Who is at the other end of a device-listener connection, as far as TLS and the registry can tell. */
export type DevicePeer =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'ldevid';
      readonly deviceId: string;
      readonly serial: string;
      readonly certificate: X509Certificate;
    }
  | {
      readonly kind: 'idevid';
      readonly certificate: X509Certificate;
      readonly chainDer: readonly Uint8Array[];
    }
  | {
      readonly kind: 'refused';
      readonly reason: 'revoked' | 'unknown' | 'decommissioned';
      readonly serial: string;
    };

/** The TLS channel binding of this connection (RFC 5929 tls-unique on 1.2, RFC 9266 tls-exporter on 1.3). */
export function channelBindingOf(socket: TLSSocket): Uint8Array | undefined {
  // A plain socket (Fastify's inject in tests) has no TLS session, hence no binding.
  if (typeof socket.getProtocol !== 'function') return undefined;
  if (socket.getProtocol() === 'TLSv1.3')
    return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  // tls-unique: the first Finished message of the latest handshake: the client's on a full
  // handshake, the server's on a resumed one.
  return socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished();
}

type LdevidPeer = Extract<DevicePeer, { kind: 'ldevid' }>;

/** How long a classified LDevID is trusted without a registry lookup (revocation drops it at once). */
const KNOWN_LDEVID_MS = 5 * 60_000;
/** Bounds the memo: a fleet larger than this simply looks certificates up more often. */
const MAX_KNOWN_LDEVIDS = 200_000;

interface PresentedChain {
  readonly leaf: X509Certificate;
  readonly chainDer: Uint8Array[];
}

function presentedChain(socket: TLSSocket): PresentedChain | undefined {
  if (socket.authorized !== true) return undefined;
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return undefined;
  const chainDer: Uint8Array[] = [];
  let link: typeof peer | undefined = peer;
  const seen = new Set<string>();
  while (link?.raw && !seen.has(link.fingerprint256)) {
    seen.add(link.fingerprint256);
    chainDer.push(new Uint8Array(link.raw));
    link = link.issuerCertificate;
  }
  return { leaf: new X509Certificate(peer.raw), chainDer };
}

/**
 * Classifies the peer of a connection once and remembers it for the
 * connection's life: a panel-issued LDevID that the registry knows and has
 * not revoked, an IDevID that chained to a trusted manufacturer CA (OpenSSL
 * did the RFC 5280 path validation during the handshake), nothing, or a
 * certificate to refuse. Revocation drops the memo (see `forget`).
 */
export class DevicePeers {
  readonly #registry: DeviceRegistry;
  readonly #issuers: readonly X509Certificate[];
  readonly #memo = new WeakMap<TLSSocket, Promise<DevicePeer>>();
  readonly #socketsBySerial = new Map<string, Set<TLSSocket>>();
  /**
   * LDevIDs already classified, by SHA-256 fingerprint: a fleet reconnecting
   * every heartbeat would otherwise parse, verify and look up the same
   * certificate on every connection. Dropped by `disconnect` (revocation,
   * on every replica) and after KNOWN_LDEVID_MS.
   */
  readonly #known = new Map<string, { readonly peer: LdevidPeer; readonly at: number }>();

  /**
   * `issuers`: every issuing CA whose LDevIDs are still honoured, the current
   * one and those retired by a rotation that have not expired.
   */
  constructor(registry: DeviceRegistry, issuers: readonly CertificateAuthority[]) {
    this.#registry = registry;
    this.#issuers = issuers.map((issuer) => new X509Certificate(Buffer.from(issuer.certificate.rawData)));
  }

  of(request: FastifyRequest): Promise<DevicePeer> {
    const socket = request.raw.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return Promise.resolve({ kind: 'none' });
    let peer = this.#memo.get(socket);
    if (!peer) {
      peer = this.#classify(socket);
      this.#memo.set(socket, peer);
    }
    return peer;
  }

  /** Closes every live connection made with one of these certificates (I8: revoke → refused at once). */
  disconnect(serials: readonly string[]): number {
    let closed = 0;
    const revoked = new Set(serials);
    for (const [fingerprint, { peer }] of this.#known)
      if (revoked.has(peer.serial)) this.#known.delete(fingerprint);
    for (const serial of serials) {
      for (const socket of this.#socketsBySerial.get(serial) ?? []) {
        this.#memo.delete(socket);
        socket.destroy();
        closed += 1;
      }
      this.#socketsBySerial.delete(serial);
    }
    return closed;
  }

  async #classify(socket: TLSSocket): Promise<DevicePeer> {
    const fingerprint = socket.authorized === true ? socket.getPeerCertificate().fingerprint256 : undefined;
    const known = fingerprint === undefined ? undefined : this.#known.get(fingerprint);
    if (known && Date.now() - known.at < KNOWN_LDEVID_MS) {
      this.#track(known.peer.serial, socket);
      return known.peer;
    }
    const peer = await this.#classifyChain(socket);
    if (peer.kind === 'ldevid' && fingerprint !== undefined) {
      if (this.#known.size >= MAX_KNOWN_LDEVIDS) this.#known.clear();
      this.#known.set(fingerprint, { peer, at: Date.now() });
    }
    return peer;
  }

  async #classifyChain(socket: TLSSocket): Promise<DevicePeer> {
    const chain = presentedChain(socket);
    if (!chain) return { kind: 'none' };
    const { leaf } = chain;
    // An LDevID of any of our issuing CAs; after a rotation the retired CA's certificates stay valid.
    if (!this.#issuers.some((issuer) => leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey))) {
      return { kind: 'idevid', certificate: leaf, chainDer: chain.chainDer };
    }
    const serial = normalizeSerial(leaf.serialNumber);
    const record = await this.#registry.certificate(serial);
    if (!record || new X509Certificate(record.certificatePem).fingerprint256 !== leaf.fingerprint256) {
      return { kind: 'refused', reason: 'unknown', serial };
    }
    if (record.deviceState === 'decommissioned') return { kind: 'refused', reason: 'decommissioned', serial };
    if (record.revokedAt !== null) return { kind: 'refused', reason: 'revoked', serial };
    this.#track(serial, socket);
    return { kind: 'ldevid', deviceId: record.deviceId, serial, certificate: leaf };
  }

  #track(serial: string, socket: TLSSocket): void {
    let sockets = this.#socketsBySerial.get(serial);
    if (!sockets) {
      sockets = new Set();
      this.#socketsBySerial.set(serial, sockets);
    }
    const live = sockets;
    live.add(socket);
    socket.once('close', () => {
      live.delete(socket);
      if (live.size === 0 && this.#socketsBySerial.get(serial) === live) this.#socketsBySerial.delete(serial);
    });
  }
}
